#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The weighted least-squares problem of one `BrokenPowerLaw` fit, as `RegimeSegmentation` poses
/// it some 10^6 times in one `femtofit analyze`: chi^2 and the normal equations for
/// `CurveFit.levenbergMarquardt`, computed segment by segment instead of frame by frame.
///
/// For a frame in segment s with MSD m and d = ln t - (the segment's start), the gradient of
/// sigma_t^2 is (1, m v), where v holds 1 for c, d for alpha_(s+1) and, for each earlier segment j,
/// (b_j - b_(j-1)) for alpha_j and (alpha_j - alpha_(j+1)) for b_j: parameters alone. So JᵀWJ and
/// JᵀW r need only nine weighted sums per segment (of 1, m, m d, m^2, m^2 d, m^2 d^2, r, m r,
/// m d r), whatever the parameter count, instead of a p x p update per frame.
///
/// Levenberg–Marquardt evaluates chi^2 at a trial point and, when it takes the step, builds the
/// normal equations there: the MSDs of the last chi^2 evaluation are kept for that, so a frame
/// costs one exp per evaluation. `BrokenPowerLawProblemTests` holds both to the per-frame sums of
/// the model's analytic gradient (`BrokenPowerLaw.sigmaSquared(_:logTime:gradient:)`).
public struct BrokenPowerLawProblem: Sendable {
    public let model: BrokenPowerLaw
    /// ln t per frame, NaN at and before time zero (where sigma_t^2 = sigma_0^2).
    private let logTimes: [Double]
    private let y: [Double]
    private let sigma: [Double]
    private let weights: [Double]
    /// The MSD per frame at `cachedAt`, from the last chi^2 evaluation.
    private var cachedMSD: [Double]
    private var cachedAt: [Double] = []
    /// Scratch, allocated once per problem (a fit evaluates thousands of times): each segment's
    /// ln MSD at its start and its start (`fillLevels`), the nine sums per segment, and v.
    private var levels: [Double], starts: [Double], sums: [Double], v: [Double]

    public init(model: BrokenPowerLaw, delays t: [Double], y: [Double], sigma: [Double]) {
        precondition(t.count == y.count && y.count == sigma.count)
        self.model = model
        logTimes = t.map { $0 > 0 ? log($0) : .nan }
        self.y = y
        self.sigma = sigma
        weights = sigma.map { 1 / $0 }
        cachedMSD = [Double](repeating: 0, count: t.count)
        levels = [Double](repeating: 0, count: model.segmentCount)
        starts = levels
        sums = [Double](repeating: 0, count: 9 * model.segmentCount)
        v = [Double](repeating: 0, count: model.parameterCount)
    }

    public var pointCount: Int { y.count }

    /// Sum of ((y - sigma_t^2) / sigma)^2 at `p`, infinite when not finite (as `CurveFit.chiSquare`).
    public mutating func chiSquare(_ p: [Double]) -> Double {
        let k = model.segmentCount
        fillLevels(p)
        var s = 0.0
        cachedMSD.withUnsafeMutableBufferPointer { msd in
            for index in 0..<logTimes.count {
                let u = logTimes[index]
                var value = p[0]
                if !u.isNaN {
                    let segment = Self.segment(p, segments: k, logTime: u)
                    let m = exp(levels[segment] + p[2 + segment] * (u - starts[segment]))
                    msd[index] = m
                    value = p[0] + m
                }
                let r = (y[index] - value) / sigma[index]
                s += r * r
            }
        }
        cachedAt = p
        return s.isFinite ? s : .infinity
    }

    /// JᵀWJ into the p x p row-major `a` and JᵀW r into `g`, at `p`.
    public mutating func normal(_ p: [Double], _ a: inout [Double], _ g: inout [Double]) {
        let k = model.segmentCount, count = model.parameterCount
        let reuse = cachedAt == p
        fillLevels(p)
        // The nine sums per segment (see the type's comment), in order; frames at or before time
        // zero depend on sigma_0^2 alone.
        for i in sums.indices { sums[i] = 0 }
        var beforeWeight = 0.0, beforeResidual = 0.0
        sums.withUnsafeMutableBufferPointer { sums in
            for point in 0..<logTimes.count {
                let w = weights[point], u = logTimes[point], w2 = w * w
                if u.isNaN {
                    beforeWeight += w2
                    beforeResidual += w2 * (y[point] - p[0])
                    continue
                }
                let segment = Self.segment(p, segments: k, logTime: u)
                let d = u - starts[segment]
                let m = reuse ? cachedMSD[point] : exp(levels[segment] + p[2 + segment] * d)
                let r = y[point] - p[0] - m
                let b = 9 * segment, wm = w2 * m, wmm = wm * m
                sums[b] += w2; sums[b + 1] += wm; sums[b + 2] += wm * d
                sums[b + 3] += wmm; sums[b + 4] += wmm * d; sums[b + 5] += wmm * d * d
                sums[b + 6] += w2 * r; sums[b + 7] += wm * r; sums[b + 8] += wm * d * r
            }
        }
        for i in 0..<(count * count) { a[i] = 0 }
        for i in 0..<count { g[i] = 0 }
        a[0] = beforeWeight
        g[0] = beforeResidual
        // v of the type's comment for one segment; its d entry (alpha_(s+1)) is marked, not stored.
        for segment in 0..<k {
            let b = 9 * segment, slope = 2 + segment
            for i in 0..<count { v[i] = 0 }
            v[1] = 1
            for j in 0..<segment {
                v[2 + j] = p[2 + k + j] - starts[j]
                v[2 + k + j] = p[2 + j] - p[3 + j]
            }
            a[0] += sums[b]
            g[0] += sums[b + 6]
            for i in 1..<count where v[i] != 0 || i == slope {
                a[i * count] += i == slope ? sums[b + 2] : v[i] * sums[b + 1]
                g[i] += i == slope ? sums[b + 8] : v[i] * sums[b + 7]
                for j in 1...i where v[j] != 0 || j == slope {
                    switch (i == slope, j == slope) {
                    case (true, true): a[i * count + j] += sums[b + 5]
                    case (true, false): a[i * count + j] += v[j] * sums[b + 4]
                    case (false, true): a[i * count + j] += v[i] * sums[b + 4]
                    case (false, false): a[i * count + j] += v[i] * v[j] * sums[b + 3]
                    }
                }
            }
        }
        for i in 0..<count { for j in 0..<i { a[j * count + i] = a[i * count + j] } }
    }

    /// The segment holding ln t = `u`: the first whose end break is at or after it.
    @inline(__always)
    static func segment(_ p: [Double], segments k: Int, logTime u: Double) -> Int {
        var segment = 0
        while segment < k - 1 && u > p[2 + k + segment] { segment += 1 }
        return segment
    }

    /// Each segment's ln MSD at its start, and its start (ln fs; the first segment's is ln of the
    /// reference time), into `levels` and `starts`, summed in the order `BrokenPowerLaw.sigmaSquared` sums them.
    private mutating func fillLevels(_ p: [Double]) {
        var level = p[1], from = BrokenPowerLaw.logReferenceTime
        for j in 0..<model.segmentCount {
            levels[j] = level
            starts[j] = from
            if j < model.segmentCount - 1 {
                let end = p[2 + model.segmentCount + j]
                level += p[2 + j] * (end - from)
                from = end
            }
        }
    }
}
