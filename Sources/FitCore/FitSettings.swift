/// Settings shared by every fit of a batch.
public struct FitSettings: Sendable, Equatable {
    /// Converged when chi^2 changes by less than `tolerance * max(chi^2, 1e-10 sum w z^2)` in one
    /// iteration (see `ConvergenceTest`).
    public var tolerance: Double
    /// Iteration cap; a fit that reaches it ends in `FitState.maxIterations`.
    public var maxIterations: Int
    public var estimator: Estimator
    /// When weights are given, whether they are 1 / variance. If they are (the default), standard
    /// errors come from the curvature matrix as it is. If not (no weights, or weights that only
    /// mask pixels), they are scaled by the reduced chi^2, which estimates the noise from the fit.
    public var weightsAreInverseVariances: Bool
    /// Least squares only: standard errors from the sandwich H^-1 (sum w^2 r^2 grad f grad f^T) H^-1,
    /// times n / (n - p) (HC1), instead of from the curvature H alone. Honest whatever the noise
    /// (unweighted fits of raw counts, whose noise is uneven, understate their errors otherwise);
    /// costs one more pass per fit.
    public var robustErrors: Bool
    /// The convergence test: femtofit's (`.relative`, the default) or Gpufit's (`.gpufit`).
    public var convergence: ConvergenceRule

    public init(tolerance: Double = 1e-4, maxIterations: Int = 20, estimator: Estimator = .leastSquares,
                weightsAreInverseVariances: Bool = true, robustErrors: Bool = false,
                convergence: ConvergenceRule = .relative) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.estimator = estimator
        self.weightsAreInverseVariances = weightsAreInverseVariances
        self.robustErrors = robustErrors
        self.convergence = convergence
    }
}

/// Which numbers the solver computes in.
public enum FitPrecision: String, CaseIterable, Sendable {
    case single, double
}
