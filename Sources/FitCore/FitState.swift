/// How one fit ended: the one table of states for femtofit's API, the C API, Python, fits.csv and
/// fits.h5. Raw values 0–3 are Gpufit's FitState values; 5, 6 and 7 are femtofit's own (the Gpufit
/// entry points report none of them: 5 and 7 become Gpufit's 2, singular).
///
/// A fit is **honest** when its state is `converged`: the solver converged, every free parameter
/// has a finite standard error, and none sits on a bound. `FitFinishing.honestStates` makes it so
/// for every backend: a converged fit with a free parameter on a bound becomes `atBound`, and one
/// whose curvature at the solution cannot be inverted (a non-finite standard error) `singular`.
public enum FitState: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case converged = 0
    case maxIterations = 1
    /// The curvature matrix could not be solved, during the iterations or at the solution (a
    /// parameter the data do not determine): the standard errors are NaN.
    case singular = 2
    /// Poisson MLE only: the model was not positive somewhere, where the likelihood has no curvature.
    case negativeCurvature = 3
    /// The fit's data, weights, start values or bounds are unusable; nothing was fitted.
    case invalidInput = 5
    /// Converged with a free parameter on one of its bounds (a lifetime or response width at its
    /// floor, a position at the ROI's edge): the optimum lies at or beyond the bound, so the value
    /// is a limit, not a measurement, and its standard error (from the curvature as if the bound
    /// were absent) does not describe it.
    case atBound = 6
    /// The model's value, or a derivative, was NaN or infinite at the start values (a runtime
    /// model dividing by zero or taking the log of a negative number there, an overflow): no step
    /// could be taken; the parameters are the start values and the errors NaN. During the fit,
    /// a step to where the model is not finite is rejected like one that raises chi^2.
    case nonFiniteModel = 7

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
        case .atBound: return "at_bound"
        case .nonFiniteModel: return "non_finite_model"
        }
    }
}
