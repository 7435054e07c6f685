import FitCore
import Foundation

/// The signal's rise as `TimeZero` fits it: a step at t0 that then changes as
/// exp(-k u - c u^2 / 2) (k > 0 decays, k < 0 grows; c bends it), seen through a Gaussian
/// instrument response of sigma s, on a baseline b:
///
///     y(t) = b + A (1 / (s sqrt(a))) exp(a m^2 / 2 - u^2 / (2 s^2)) Phi(m sqrt(a)),
///     u = t - t0,  a = 1 / s^2 + c,  m = (u / s^2 - k) / a,
///
/// the exact convolution of the response with A exp(-k u - c u^2 / 2) for u >= 0. Over a short
/// window after the rise this follows recombination, several lifetimes at once, and a frame sum
/// that grows as a spot of constant peak height spreads, so the estimate does not depend on which
/// of the two conventions a dataset holds. Parameters: [A, t0, s, k, c, b]; a must stay positive
/// (`TimeZero` bounds c to keep it so).
enum RiseModel {
    static let parameterCount = 6

    static func value(_ p: [Double], at t: Double) -> Double {
        let amplitude = p[0], t0 = p[1], s = p[2], k = p[3], c = p[4], b = p[5]
        let u = t - t0, a = 1 / (s * s) + c
        guard a > 0 else { return .nan }
        let m = (u / (s * s) - k) / a, x = m * a.squareRoot()
        // Below x = 0, exp(a m^2 / 2) Phi(x) = erfcx(-x / sqrt 2) / 2, so neither factor overflows
        // where the other underflows.
        let gaussian = exp(-u * u / (2 * s * s))
        let shape = x < 0
            ? gaussian * 0.5 * scaledErfc(-x / 2.0.squareRoot())
            : exp(a * m * m / 2 - u * u / (2 * s * s)) * 0.5 * erfc(-x / 2.0.squareRoot())
        return b + amplitude * shape / (s * a.squareRoot())
    }
}
