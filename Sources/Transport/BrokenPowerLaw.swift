#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The regime model of a spot's growth: sigma_t^2 = sigma_0^2 + MSD(t), with MSD(t) a continuous
/// power law in pieces, MSD ∝ t^alpha_k between breaks b_(k-1) and b_k (docs/reference.md §2: alpha >= 1
/// band-like, alpha < 1 sub-diffusive hopping). sigma_0^2 is a parameter of the same fit, so its
/// error, common to every MSD point, is carried into every derived number through the covariance.
///
/// Parameters, in order: sigma_0^2 (nm^2), c = the first segment's ln MSD extrapolated to
/// `referenceTime`, alpha_1 ... alpha_K, ln b_1 ... ln b_(K-1) (b in fs). The breaks are meant to
/// increase; the fit does not force it, and `RegimeSegmentation` discards a fit whose segments
/// do not each hold enough frames (which crossed breaks cannot).
public struct BrokenPowerLaw: Sendable, Equatable {
    public var segmentCount: Int
    /// Time at which `c` gives the first segment's log MSD, fs: fixed, so its level is well defined.
    public static let referenceTime = 100.0
    /// ln `referenceTime`, computed once.
    public static let logReferenceTime = log(referenceTime)

    public init(segmentCount: Int) {
        precondition(segmentCount >= 1)
        self.segmentCount = segmentCount
    }

    public var parameterCount: Int { 2 * segmentCount + 1 }

    public func sigma0Squared(_ p: [Double]) -> Double { p[0] }
    public func alpha(_ p: [Double], segment k: Int) -> Double { p[2 + k] }
    /// The k-th break (between segment k and k+1), fs.
    public func breakTime(_ p: [Double], _ k: Int) -> Double { exp(p[2 + segmentCount + k]) }

    /// The segment that holds delay `t`.
    public func segment(_ p: [Double], at t: Double) -> Int {
        let u = log(t)
        var k = 0
        while k < segmentCount - 1 && u > p[2 + segmentCount + k] { k += 1 }
        return k
    }

    /// ln MSD(t) for t > 0.
    public func logMSD(_ p: [Double], at t: Double) -> Double {
        let u = log(t)
        var level = p[1], from = Self.logReferenceTime
        for k in 0..<segmentCount {
            let isLast = k == segmentCount - 1
            let end = isLast ? Double.infinity : p[2 + segmentCount + k]
            if u <= end || isLast { return level + p[2 + k] * (u - from) }
            level += p[2 + k] * (end - from)
            from = end
        }
        return level
    }

    /// MSD(t) in nm^2; 0 at and before time zero.
    public func msd(_ p: [Double], at t: Double) -> Double { t > 0 ? exp(logMSD(p, at: t)) : 0 }

    /// sigma_t^2 in nm^2: what the fit compares with the squared fitted widths.
    public func sigmaSquared(_ p: [Double], at t: Double) -> Double { p[0] + msd(p, at: t) }

    /// sigma_t^2 at a delay given by its logarithm `u` = ln t (nil: at or before time zero), and,
    /// when `gradient` is non-nil, its derivatives by every parameter: the analytic Jacobian
    /// `RegimeSegmentation` fits with (one exp per point, no log).
    public func sigmaSquared(_ p: [Double], logTime u: Double?, gradient: UnsafeMutableBufferPointer<Double>?) -> Double {
        let k = segmentCount
        if let gradient { for i in 0..<parameterCount { gradient[i] = 0 }; gradient[0] = 1 }
        guard let u else { return p[0] }
        // The segment holding u: the first whose end break is at or after it.
        var segment = 0
        while segment < k - 1 && u > p[2 + k + segment] { segment += 1 }
        var level = p[1], from = Self.logReferenceTime
        for j in 0..<segment {
            let end = p[2 + k + j]
            level += p[2 + j] * (end - from)
            from = end
        }
        let msd = exp(level + p[2 + segment] * (u - from))
        if let gradient {
            gradient[1] = msd
            var previous = Self.logReferenceTime
            for j in 0..<segment {
                let end = p[2 + k + j]
                gradient[2 + j] = msd * (end - previous)
                gradient[2 + k + j] = msd * (p[2 + j] - p[3 + j])
                previous = end
            }
            gradient[2 + segment] = msd * (u - previous)
        }
        return p[0] + msd
    }
}
