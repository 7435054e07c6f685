/// How one fit ended. Raw values 0–3 are Gpufit's FitState values; 5 is femtofit's own.
public enum FitState: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case converged = 0
    case maxIterations = 1
    /// The curvature matrix could not be solved (a parameter the data do not determine).
    case singular = 2
    /// Poisson MLE only: the model was not positive somewhere, where the likelihood has no curvature.
    case negativeCurvature = 3
    /// The fit's data, weights, start values or bounds are unusable; nothing was fitted.
    case invalidInput = 5

    /// A value no backend ever writes: tests fill state buffers with it before a run.
    public static let unwrittenRawValue: Int32 = -77

    /// The name used in output files.
    public var description: String {
        switch self {
        case .converged: return "converged"
        case .maxIterations: return "max_iterations"
        case .singular: return "singular"
        case .negativeCurvature: return "negative_curvature"
        case .invalidInput: return "invalid_input"
        }
    }
}
