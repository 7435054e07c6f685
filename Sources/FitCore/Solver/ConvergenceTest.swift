/// The convergence test every solver shares: |chi^2_new - chi^2| < tol * max(chi^2, floor), with
/// floor = `floorFraction` x sum w z^2 (see `ReferenceSolver` for why it is not Gpufit's max(1, chi^2)).
public enum ConvergenceTest {
    /// chi^2 below this fraction of the data's own weighted sum of squares counts as an exact fit.
    public static let floorFraction = 1e-10
}
