/// femtofit's version, written into every output file and reported by `femtofit --version`.
public enum FemtofitVersion {
    public static let current = "0.1.0"
}
