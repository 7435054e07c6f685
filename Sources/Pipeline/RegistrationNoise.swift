import TAMData

/// What registration's bilinear move does to white noise, and what the run average's variance
/// must be scaled by so that a fit's errors count it.
///
/// A run moved by a fractional shift (fx, fy) has each pixel a weighted sum of four with
/// weights summing to 1: its noise variance falls to c = ((1-fx)^2 + fx^2)((1-fy)^2 + fy^2) of
/// what it was (0.25 at half a pixel each way), and neighbouring pixels become correlated. The
/// noise summed over a patch of pixels is unchanged, though: the correlations make up what the
/// variance lost. A fit treats pixels as independent, and the parameters of a smooth model (a
/// spot several pixels wide) feel the noise summed over its pixels. So the variance of the run
/// average, which the scatter between runs measures pixel by pixel, is scaled by the ratio of
/// the summed noise to the per-pixel noise: for R runs of equal noise, the mean of R runs has
/// per-pixel variance sigma^2 sum(c_r) / R^2 and summed variance sigma^2 R / R^2, a ratio of
/// R / sum(c_r). Unmoved runs have c = 1, and with no run moved the factor is 1.
enum RegistrationNoise {
    /// The share of white noise's variance left in one pixel after a move by (dx, dy) pixels.
    static func varianceFactor(dx: Double, dy: Double) -> Double {
        func axis(_ v: Double) -> Double { let f = v - v.rounded(.down); return (1 - f) * (1 - f) + f * f }
        return axis(dx) * axis(dy)
    }

    /// The factor the run average's per-pixel variance is scaled by, for runs moved as
    /// `moves` (nil: not moved).
    static func averageVarianceScale(moves: [(dx: Double, dy: Double)?]) -> Double {
        guard !moves.isEmpty else { return 1 }
        let kept = moves.reduce(0.0) { $0 + ($1.map { varianceFactor(dx: $0.dx, dy: $0.dy) } ?? 1) }
        return Double(moves.count) / kept
    }
}
