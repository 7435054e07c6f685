/// The kinetics models' default bounds, where the caller gave none (an open side: -inf, +inf or
/// NaN): physical ranges from each fit's own delay axis, in its units (issue 17). Without them a
/// lifetime or response width could run to 1e-6 (the old floor) and a lifetime to infinity, and
/// real traces ended `converged` there with NaN errors.
///
/// - each lifetime: from a tenth of the smallest delay step (a decay within a fraction of a step
///   is not sampled) to ten times the delay span (longer, it is a constant over the window:
///   "long-lived");
/// - the response's sigma: from a tenth of the smallest step to the span;
/// - time zero: within the delays.
///
/// A fit that ends on one of these is `FitState.atBound`: its value is a limit, not a
/// measurement. A bound the caller gives wins; so does `ModelID.minimumPositiveValue` where the
/// delays have no two distinct values.
public struct KineticsBounds: Sendable, Equatable {
    /// The smallest positive spacing between delays, and the first and last delay.
    public var step: Double
    public var first: Double
    public var last: Double

    /// The floor of a lifetime and of the response's sigma, as a fraction of `step`.
    public static let floorPerStep = 0.1
    /// The ceiling of a lifetime, as a multiple of the span.
    public static let lifetimeSpans = 10.0
    /// Where a long-lived component (one that does not decay in the window: a step) is held, as
    /// a multiple of the span.
    public static let longLivedSpans = 1e4

    /// From a fit's delays (any order); nil when fewer than two distinct finite values.
    public init?<X: Collection>(delays: X) where X.Element: BinaryFloatingPoint {
        var values = delays.map { Double($0) }.filter { $0.isFinite }
        guard values.count >= 2 else { return nil }
        var ascending = true
        for k in 1..<values.count where values[k] < values[k - 1] { ascending = false; break }
        if !ascending { values.sort() }
        var step = Double.infinity
        for k in 1..<values.count where values[k] > values[k - 1] { step = min(step, values[k] - values[k - 1]) }
        guard step.isFinite else { return nil }
        self.step = step
        first = values[0]
        last = values[values.count - 1]
    }

    public var span: Double { last - first }

    /// Fills the open sides of one kinetics fit's bounds (`lower`, `upper`: its parameterCount
    /// values) for `model`.
    public func fillOpenSides(model: ModelID, lower: UnsafeMutablePointer<Double>, upper: UnsafeMutablePointer<Double>) {
        let n = model.exponentialCount
        guard n > 0 else { return }
        func fill(_ j: Int, _ low: Double, _ high: Double) {
            if lower[j] == -.infinity { lower[j] = low }
            if upper[j] == .infinity { upper[j] = high }
        }
        let floor = Self.floorPerStep * step
        for c in 0..<n { fill(2 * c + 1, floor, Self.lifetimeSpans * span) }
        fill(2 * n, first, last)
        fill(2 * n + 1, floor, span)
    }
}
