/// A physical setting that cannot be used (a non-positive pulse energy, beam radius, ...), in
/// words that say which and why.
public enum PhysicsError: Error, Equatable, CustomStringConvertible {
    case badSetting(String)
    public var description: String {
        switch self {
        case .badSetting(let m): return m
        }
    }
}
