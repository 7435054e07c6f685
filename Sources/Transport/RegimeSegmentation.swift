#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many transport regimes a spot's growth supports, and where they begin and end.
///
/// sigma_t^2 is fitted with `BrokenPowerLaw`s of 1 to `maximumSegments` segments; the number of
/// segments is chosen by the Bayesian information criterion, BIC = chi^2 / phi + p ln n, where phi
/// (>= 1) is the reduced chi^2 of the largest model, so that errors the fits underestimated cannot
/// buy extra regimes. A model with more segments is taken only when it lowers the BIC of the best
/// simpler one by more than `evidenceMargin` (6: "strong" evidence on Kass and Raftery's scale; breaks are not regular parameters, so chance improvements run larger than chi^2 tables say).
/// A segment must hold at least `minimumPoints` delays, so a break is never placed on one frame.
///
/// Each model is fitted from several starts: evenly spaced breaks for two segments, then, for
/// each further segment, every segment of the best fit with one fewer split at its log-midpoint
/// and at its thirds. The covariance of the chosen fit is scaled by its own reduced chi^2 when
/// that exceeds 1, so misfit widens every interval instead of hiding.
public struct RegimeSegmentation: Sendable {
    public struct Candidate: Sendable {
        public var model: BrokenPowerLaw
        public var parameters: [Double]
        /// Covariance of the parameters, already scaled by max(1, reduced chi^2).
        public var covariance: [[Double]]
        public var chiSquare: Double
        public var bic: Double
    }

    public static let maximumSegments = 4
    public static let minimumPoints = 3
    public static let evidenceMargin = 6.0

    /// The fitted models by segment count (those that could be fitted), and the chosen one.
    public var candidates: [Candidate]
    public var chosen: Candidate
    public var pointCount: Int
    /// The reduced chi^2 of the largest model, at least 1: the BIC's noise scale.
    public var overdispersion: Double

    /// `delays` (fs, >= 0), `sigmaSquared` (nm^2) and its standard deviation, one per usable frame.
    public init(delays: [Double], sigmaSquared: [Double], sigmaSquaredError: [Double]) throws {
        let order = delays.indices.sorted { delays[$0] < delays[$1] }
        let t = order.map { delays[$0] }, y = order.map { sigmaSquared[$0] }, e = order.map { sigmaSquaredError[$0] }
        let positive = t.filter { $0 > 0 }
        try Self.requireFrames(positive.count)
        pointCount = t.count
        var fits: [Int: CurveFit.Result] = [:]
        var previous: [Double]?
        for k in 1...Self.maximumSegments where positive.count >= k * Self.minimumPoints {
            let model = BrokenPowerLaw(segmentCount: k)
            var starts = k == 1 ? [Self.firstGuess(t, y, breaks: [])]
                : previous.map { Self.splits(of: $0, segments: k - 1, delays: positive, t: t, y: y) } ?? []
            if k == 2 || starts.isEmpty { starts += Self.evenStarts(k, t, y, positive) }
            var best: CurveFit.Result?
            for start in starts {
                guard let r = Self.fit(model, t, y, e, start: start, positive: positive) else { continue }
                if best == nil || r.chiSquare < best!.chiSquare { best = r }
            }
            // `previous` must be a (k-1)-segment fit for the splits of the next k.
            guard let best else { previous = nil; continue }
            fits[k] = best
            previous = best.parameters
        }
        guard let largest = fits.keys.max(), let largestFit = fits[largest] else {
            throw TransportError.notEnoughFrames("no regime model could be fitted to the spot widths (check the fits' standard errors)")
        }
        let phi = max(1, largestFit.chiSquare / Double(max(largestFit.degreesOfFreedom, 1)))
        overdispersion = phi
        let n = Double(t.count)
        candidates = fits.keys.sorted().map { k in
            let r = fits[k]!
            let scale = max(1, r.chiSquare / Double(max(r.degreesOfFreedom, 1)))
            return Candidate(model: BrokenPowerLaw(segmentCount: k), parameters: r.parameters,
                             covariance: r.covariance.map { $0.map { $0 * scale } }, chiSquare: r.chiSquare,
                             bic: r.chiSquare / phi + Double(r.parameters.count) * log(n))
        }
        // A larger model must beat the best of every simpler one by the margin.
        var chosen = candidates[0], bestSimpler = candidates[0].bic
        for c in candidates.dropFirst() {
            if c.bic < bestSimpler - Self.evidenceMargin { chosen = c }
            bestSimpler = min(bestSimpler, c.bic)
        }
        self.chosen = chosen
    }

    /// Refuses a series with fewer fitted frames after time zero than two segments need.
    static func requireFrames(_ count: Int) throws {
        guard count >= 2 * minimumPoints else {
            throw TransportError.notEnoughFrames("the regime analysis needs at least \(2 * minimumPoints) fitted frames after time zero; found \(count)")
        }
    }

    /// One LM fit; nil when it fails or leaves a segment with too few delays.
    /// `fixing`: a parameter held at its start value (for likelihood-ratio tests); `maxIterations`
    /// 0 gives the covariance at `start`; `tolerance`, the relative chi^2 change that ends it.
    static func fit(_ model: BrokenPowerLaw, _ t: [Double], _ y: [Double], _ e: [Double], start: [Double],
                    positive: [Double], fixing: Int? = nil, maxIterations: Int = 300, tolerance: Double = 1e-12) -> CurveFit.Result? {
        let k = model.segmentCount
        let lo = log(positive.first!), hi = log(positive.last!)
        var lower = [0, -50] + [Double](repeating: -1, count: k) + [Double](repeating: lo, count: k - 1)
        var upper = [Double.infinity, 50] + [Double](repeating: 4, count: k) + [Double](repeating: hi, count: k - 1)
        // sigma_0^2 stays below 1.5 x the earliest frames' sigma^2 (`earlyLevel`): not all frames',
        // since one faint late frame fitted to a narrow blob of noise would cap it below the truth
        // and force every model into a wrong optimum.
        lower[0] = 0; upper[0] = earlyLevel(t, y) * 1.5
        if let fixing { lower[fixing] = start[fixing]; upper[fixing] = start[fixing] }
        var problem = BrokenPowerLawProblem(model: model, delays: t, y: y, sigma: e)
        guard let r = CurveFit.levenbergMarquardt(start: start, lower: lower, upper: upper, pointCount: t.count, maxIterations: maxIterations, tolerance: tolerance,
                                                  chiSquare: { problem.chiSquare($0) }, normal: { problem.normal($0, &$1, &$2) }) else { return nil }
        var counts = [Int](repeating: 0, count: k)
        for x in positive { counts[model.segment(r.parameters, at: x)] += 1 }
        guard counts.allSatisfy({ $0 >= minimumPoints }) else { return nil }
        return r
    }

    /// The smallest sigma^2 of the first four frames after time zero (of all, when fewer): where
    /// sigma_0^2 lies, from the frames that measure it.
    static func earlyLevel(_ t: [Double], _ y: [Double]) -> Double {
        let early = t.indices.filter { t[$0] > 0 }.prefix(4)
        return early.isEmpty ? y.min()! : early.map { y[$0] }.min()!
    }

    /// Starting parameters for given breaks (fs): sigma_0^2 from the earliest frames, then each
    /// segment's exponent from a log–log line through its MSD guesses.
    static func firstGuess(_ t: [Double], _ y: [Double], breaks: [Double]) -> [Double] {
        let early = Array(t.indices.prefix(4))
        let s0 = max(y[early.first!] - 0.2 * (y[early.last!] - y[early.first!]), earlyLevel(t, y) * 0.5)
        let k = breaks.count + 1
        var alphas: [Double] = []
        var levelAtReference = log(max(y.last! - s0, 1) / 1e3)
        for segment in 0..<k {
            let from = segment == 0 ? 0 : breaks[segment - 1], to = segment == k - 1 ? Double.infinity : breaks[segment]
            let idx = t.indices.filter { t[$0] > from && t[$0] <= to && y[$0] > s0 }
            guard idx.count >= 2 else { alphas.append(segment == 0 ? 1 : 0.5); continue }
            let lx = idx.map { log(t[$0]) }, ly = idx.map { log(y[$0] - s0) }
            let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
            let sxx = lx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
            let sxy = zip(lx, ly).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
            let a = sxx > 0 ? min(max(sxy / sxx, 0.05), 2.5) : 1
            alphas.append(a)
            if segment == 0 { levelAtReference = my + a * (log(BrokenPowerLaw.referenceTime) - mx) }
        }
        return [s0, levelAtReference] + alphas + breaks.map { log($0) }
    }

    /// Breaks spread evenly in log time: a grid of eight single breaks for two segments.
    static func evenStarts(_ k: Int, _ t: [Double], _ y: [Double], _ positive: [Double]) -> [[Double]] {
        let lo = log(positive[minimumPoints - 1]), hi = log(positive[positive.count - minimumPoints])
        guard hi > lo else { return [] }
        if k == 2 { return (0..<8).map { j in firstGuess(t, y, breaks: [exp(lo + (hi - lo) * (Double(j) + 0.5) / 8)]) } }
        return [firstGuess(t, y, breaks: (1..<k).map { b in exp(lo + (hi - lo) * Double(b) / Double(k)) })]
    }

    /// Starts for k+1 segments from the best k-segment fit: one segment split at its middle or
    /// thirds (in log time), both halves starting with its exponent, and fresh guesses with the
    /// same breaks.
    static func splits(of p: [Double], segments k: Int, delays positive: [Double], t: [Double], y: [Double]) -> [[Double]] {
        let model = BrokenPowerLaw(segmentCount: k)
        let breaks = (0..<(k - 1)).map { model.breakTime(p, $0) }
        let edges = [positive.first!] + breaks + [positive.last!]
        var starts: [[Double]] = []
        for segment in 0..<k {
            let a = log(edges[segment]), b = log(edges[segment + 1])
            for f in [0.5, 1.0 / 3, 2.0 / 3] {
                let newBreak = exp(a + (b - a) * f)
                var alphas = (0..<k).map { model.alpha(p, segment: $0) }
                alphas.insert(alphas[segment], at: segment)
                var all = breaks
                all.insert(newBreak, at: segment)
                starts.append([p[0], p[1]] + alphas + all.map { log($0) })
                starts.append(firstGuess(t, y, breaks: all))
            }
        }
        return starts
    }
}
