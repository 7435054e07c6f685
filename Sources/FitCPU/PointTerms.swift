import FitCore

/// One point's part of an LM pass, shared by every pass (`CompiledModelPass`, `RuntimeModelPass`):
/// its chi^2 term, added to `chiSquare`, and the weights its derivatives take into the gradient
/// (residual weight) and the curvature (curvature weight), for loop `Kind`. Under Poisson MLE a
/// counted point (w > 0) whose model is finite but not positive is marked in `notPositive` (the
/// likelihood has no curvature there); a model that is not finite is not marked: its chi^2 term
/// is then not finite either, which the start's test reads as `FitState.nonFiniteModel`. With
/// `meat` lanes (weighted least squares) the curvature weight is (w r)^2, the sandwich's meat.
enum PointTerms {
    @inline(__always)
    static func add<Kind: PointLoopKind, Lane: FitLane>(_ kind: Kind.Type, model f: Lane, data z: Lane, weight w: Lane,
                                                         inverseData: Lane, meatLanes: Lane.Mask, chiSquare chi: inout Lane,
                                                         notPositive: inout Lane.Mask) -> (residual: Lane, curvature: Lane) {
        if Kind.isMLE {
            // Masked points (weight 0) do not count, as in the reference.
            var bad = Lane.and(Lane.not(Lane.lessThan(Lane(0), f)), Lane.lessThan(Lane(0), w))
            bad = Lane.and(bad, Lane.isFinite(f))
            notPositive = Lane.or(notPositive, bad)
            let safe = Lane.maximum(f, Lane(1e-30))
            let inverseModel = Lane(1) / safe
            let ratio = z * inverseModel
            let term = PoissonDeviance.term(model: safe, data: z, inverseData: inverseData)
            chi = chi + term * w
            return ((ratio - Lane(1)) * w, ratio * inverseModel * w)
        }
        let r = z - f
        let wr = Kind.isWeighted ? w * r : r
        chi = chi.adding(wr, times: r)
        return (wr, Kind.isWeighted ? Lane.select(meatLanes, wr * wr, w) : w)
    }
}
