#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a spot's width grows at all: the gate before any transport number is reported.
///
/// sigma_t^2 is regressed on ln t by weighted least squares (weights from the fits' errors); the
/// slope's z score, with its variance scaled by the overdispersion max(1, chi^2 / (n - 2)) so that
/// scatter the errors do not cover cannot make a trend, is held to the one-sided 0.1 % point
/// (3.09), the level of the band-like test. Growth also needs Kendall's rank correlation of
/// sigma^2 with t to point the same way at 5 % (z > 1.645), so one wild frame cannot make it.
/// Widths that fall by the same rule are named: a spot cannot narrow by transport.
///
/// Measured on series of constant width with the paper's 60-frame grid (and its first 8 or 12
/// frames), 2 000 seeds each: 0.1 % called growing with Gaussian noise, at most 0.1 % with one
/// frame off by 5-100 standard errors.
public struct GrowthTest: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        case grows, flat, shrinks
    }

    public var verdict: Verdict
    /// The slope's z score (d sigma^2 / d ln t over its standard error).
    public var slopeZ: Double
    /// Kendall's tau of sigma^2 against t, as a z score.
    public var rankZ: Double

    public static let slopeThreshold = 3.09
    public static let rankThreshold = 1.645

    /// `delays` > 0 (fs), `sigmaSquared` and its standard deviation, one per frame.
    public init(delays t: [Double], sigmaSquared y: [Double], sigmaSquaredError e: [Double]) {
        let n = t.count
        var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for i in 0..<n {
            let w = 1 / (e[i] * e[i]), x = log(t[i])
            sw += w; sx += w * x; sy += w * y[i]; sxx += w * x * x; sxy += w * x * y[i]
        }
        let determinant = sw * sxx - sx * sx
        var z = 0.0
        if n > 2, determinant > 0 {
            let slope = (sw * sxy - sx * sy) / determinant, intercept = (sy - slope * sx) / sw
            var chi2 = 0.0
            for i in 0..<n {
                let r = y[i] - intercept - slope * log(t[i])
                chi2 += r * r / (e[i] * e[i])
            }
            let phi = max(1, chi2 / Double(n - 2))
            let variance = sw / determinant * phi
            z = variance > 0 ? slope / variance.squareRoot() : 0
        }
        slopeZ = z.isFinite ? z : 0
        // Kendall's tau (ties count for neither side), its z score under no trend.
        var concordant = 0
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                let dt = t[j] - t[i], dy = y[j] - y[i]
                if dt * dy > 0 { concordant += 1 } else if dt * dy < 0 { concordant -= 1 }
            }
        }
        rankZ = n > 1 ? 3 * Double(concordant) / (Double(n * (n - 1) * (2 * n + 5)) / 2).squareRoot() : 0
        if slopeZ > Self.slopeThreshold && rankZ > Self.rankThreshold {
            verdict = .grows
        } else if slopeZ < -Self.slopeThreshold && rankZ < -Self.rankThreshold {
            verdict = .shrinks
        } else {
            verdict = .flat
        }
    }

    /// In words, for notes and the band-like reason.
    public var description: String {
        let numbers = "trend of sigma^2 against ln t: z = \((slopeZ * 100).rounded() / 100), rank z = \((rankZ * 100).rounded() / 100)"
        switch verdict {
        case .grows: return "sigma^2 grows (\(numbers))"
        case .flat: return "sigma^2 does not grow significantly (\(numbers); growth needs z > 3.09 and rank z > 1.645)"
        case .shrinks: return "sigma^2 decreases with delay (\(numbers)): the spot narrows, which transport cannot do; check the fits (a background that changes with delay, or frames after the signal has decayed)"
        }
    }
}
