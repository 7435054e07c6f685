/// Variances measured from the scatter of a few runs (a dataset series), and what a fit weighed
/// by them needs besides them for honest standard errors.
///
/// Their inverse weighs each pixel, and the fit's errors start from the inverse curvature, as
/// for any inverse-variance weights. Two things are then added, each measured on this path
/// (`RegistrationNoiseTests`, `RawPathCoverageTests`):
/// - `correlation`: registration's moves correlate neighbouring pixels, and the parameters of a
///   smooth model feel the noise summed over the spot, which the per-pixel variances understate
///   by this factor (`RegistrationNoise`; 1 when no run was moved);
/// - the fit's own reduced chi^2, when above 1: a variance estimated from three runs' scatter
///   (pooled over 3x3 pixels) has few degrees of freedom, and its inverse is on average ~10 %
///   too large, so weighted fits would claim ~5 % too much precision; a spot that is not quite
///   the model's shape raises it as well. It is never used to shrink errors, and sandwich
///   errors (`--errors robust`), which take the residuals' scale already, do not take it.
public struct MeasuredVariances: Sendable, Equatable {
    /// The noise summed over pixels over what the per-pixel variances say (>= 1).
    public var correlation: Double

    public init(correlation: Double) { self.correlation = correlation }

    /// What a fit's standard errors are multiplied by, from its chi^2 over `points` used pixels
    /// with `free` fitted parameters (`sandwich`: the errors are sandwich errors).
    public func errorFactor(chiSquare: Double, points: Int, free: Int, sandwich: Bool = false) -> Double {
        let reduced = !sandwich && points > free && chiSquare.isFinite ? chiSquare / Double(points - free) : 1
        return (correlation * max(1, reduced)).squareRoot()
    }
}
