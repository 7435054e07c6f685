/// What a fit minimises. Raw values are Gpufit's EstimatorID.
public enum Estimator: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// Weighted least squares: chi^2 = sum w (z - f)^2, with w = 1 / variance.
    case leastSquares = 0
    /// Poisson maximum likelihood, for photon or count data (raw camera frames) only:
    /// chi^2 = 2 sum w (f - z) - 2 sum_{z > 0} w z ln(f / z). Weights multiply each point's term
    /// (0 masks a point; 1 keeps it).
    case poissonMLE = 1

    /// The name used on the command line: `lse` or `mle`.
    public var description: String { self == .leastSquares ? "lse" : "mle" }

    public init?(name: String) {
        switch name.lowercased() {
        case "lse": self = .leastSquares
        case "mle": self = .poissonMLE
        default: return nil
        }
    }
}
