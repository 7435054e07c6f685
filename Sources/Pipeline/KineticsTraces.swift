import FitCore
import Foundation

/// How many exponentials each trace gets: chosen per trace, or the same for all.
public enum ComponentChoice: Sendable, Equatable, CustomStringConvertible {
    /// Every count from 1 to `ModelID.maximumExponentials` is fitted and the one with the lowest
    /// BIC among the honest fits is kept (`KineticsTraces`).
    case automatic
    case fixed(Int)

    /// `auto`, or a count from 1 to 4.
    public init?(argument: String) {
        if argument.lowercased() == "auto" { self = .automatic; return }
        guard let n = Int(argument), (1...ModelID.maximumExponentials).contains(n) else { return nil }
        self = .fixed(n)
    }

    public var counts: [Int] {
        switch self {
        case .automatic: return Array(1...ModelID.maximumExponentials)
        case .fixed(let n): return [n]
        }
    }

    public var description: String {
        switch self {
        case .automatic: return "auto"
        case .fixed(let n): return "\(n)"
        }
    }
}

/// One trace's kept fit.
public struct KineticsTraceFit: Sendable {
    public var model: ModelID
    public var components: Int { model.exponentialCount }
    /// Whether the slowest component is long-lived: its lifetime ran to the ceiling of the window
    /// (`KineticsBounds`), so it was held as a step and refitted. Its lifetime reads +inf, with a
    /// NaN error.
    public var longLived: Bool
    public var state: FitState
    /// In the model's order, the components by lifetime, shortest first.
    public var parameters: [Double]
    public var standardErrors: [Double]
    public var chiSquare: Double
    /// The Bayesian information criterion the count was chosen by: N ln(chi^2 / N) + k ln N, for N
    /// usable points and k free parameters.
    public var bic: Double
    /// Iterations of the kept fit.
    public var iterations: Int

    public init(model: ModelID, longLived: Bool, state: FitState, parameters: [Double], standardErrors: [Double],
                chiSquare: Double, bic: Double, iterations: Int) {
        self.model = model; self.longLived = longLived; self.state = state; self.parameters = parameters
        self.standardErrors = standardErrors; self.chiSquare = chiSquare; self.bic = bic; self.iterations = iterations
    }

    /// Converged, finite errors, no free parameter on a bound (`FitState.converged` says all of it).
    public var isHonest: Bool { state == .converged }

    /// The widest layout's columns (four components, then t0, irf_sigma, offset and the artefact's
    /// three), the names every kinetics output uses.
    public static let wideNames: [String] = ModelID.kinetics4Artifact.parameterNames

    /// Values and errors in the widest layout: NaN in the columns of components and artefact terms
    /// this trace's model does not have.
    public var wide: (values: [Double], errors: [Double]) {
        let n = components
        var values = [Double](repeating: .nan, count: Self.wideNames.count), errors = values
        for j in 0..<(2 * n) { values[j] = parameters[j]; errors[j] = standardErrors[j] }
        let w = 2 * ModelID.maximumExponentials
        for j in 0..<(model.parameterCount - 2 * n) {
            values[w + j] = parameters[2 * n + j]; errors[w + j] = standardErrors[2 * n + j]
        }
        return (values, errors)
    }
}

/// Per-trace kinetics fits of traces on one delay axis (the wavelengths of a transient-absorption
/// measurement, the pixels of a map), with the number of components chosen per trace (issue 17):
///
/// 1. Each trace's time zero and response width start from `TimeZero`'s fit of its rise (else
///    the trace's half rise and one delay step).
/// 2. For each component count, every trace starts from `KineticsStart` (lifetimes picked from a
///    grid, amplitudes by linear least squares) and is fitted by the engine, with the kinetics
///    models' physical bounds (`KineticsBounds`).
/// 3. A fit whose slowest lifetime ends on the window's ceiling (ten spans) holds a component that
///    does not decay in the window: it is refitted with that lifetime held at `longLivedSpans`
///    spans (a step), and reported long-lived.
/// 4. Per trace the count with the lowest BIC among the honest fits is kept; a trace with no
///    honest fit keeps its lowest-BIC fit, whose state flags it.
public struct KineticsTraces: Sendable {
    public var components: ComponentChoice
    public var coherentArtifact: Bool
    public var settings: FitSettings
    /// Whether every trace holds its start's time zero (a map whose frames do not resolve the rise
    /// holds the series' one) rather than fitting it.
    public var holdsTimeZero: Bool
    /// Whether every trace holds its start's response width (a map holds the instrument's, from
    /// the frame-summed trace: one noisy pixel cannot pin it).
    public var holdsResponseWidth: Bool

    /// The lifetime a long-lived component is held at, in delay spans.
    public static let longLivedSpans = KineticsBounds.longLivedSpans
    /// Traces fitted together: memory stays bounded however many traces there are (a block of
    /// 4096 traces x 409 delays is ~7 MB of data, and its fits' working set a few times that).
    public static let blockSize = 4096

    public init(components: ComponentChoice = .automatic, coherentArtifact: Bool = false,
                settings: FitSettings = FitSettings(tolerance: 1e-6, maxIterations: 200),
                holdsTimeZero: Bool = false, holdsResponseWidth: Bool = false) {
        self.components = components
        self.coherentArtifact = coherentArtifact
        self.settings = settings
        self.holdsTimeZero = holdsTimeZero
        self.holdsResponseWidth = holdsResponseWidth
    }

    /// Which of `model`'s parameters are fitted: all but the held time zero and response width.
    func fittedMask(_ model: ModelID) -> [Bool] {
        var mask = [Bool](repeating: true, count: model.parameterCount)
        let n = model.exponentialCount
        if holdsTimeZero { mask[2 * n] = false }
        if holdsResponseWidth { mask[2 * n + 1] = false }
        return mask
    }

    /// Time zero and response sigma per trace, from `TimeZero` where it fits the rise (its error
    /// from the curvature: a start needs none).
    public static func timeZeroStarts(delays: [Double], traces: [Float]) -> [(t0: Double, irf: Double)] {
        let m = delays.count, count = traces.count / m
        let bounds = KineticsBounds(delays: delays)
        let step = bounds?.step ?? 1
        var starts = [(t0: Double, irf: Double)](repeating: (delays.first ?? 0, step), count: count)
        starts.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            DispatchQueue.concurrentPerform(iterations: count) { i in
                let trace = (0..<m).map { Double(traces[i * m + $0]) }
                out[i] = start(delays: delays, trace: trace, step: step)
            }
        }
        return starts
    }

    static func start(delays: [Double], trace: [Double], step: Double) -> (t0: Double, irf: Double) {
        if let e = TimeZero.fit(delays: delays, signal: trace, profileErrors: false).estimate, e.converged, e.t0.isFinite,
           e.irfSigma.isFinite, e.irfSigma > KineticsBounds.floorPerStep * step {
            return (e.t0, e.irfSigma)
        }
        // The half rise towards the trace's extremum (either sign), from the earliest points.
        let finite = trace.indices.filter { trace[$0].isFinite }
        guard let first = finite.first else { return (delays.first ?? 0, step) }
        let head = finite.prefix(max(2, finite.count / 20)).map { trace[$0] }.sorted()
        let baseline = head[head.count / 2]
        let peak = finite.max { abs(trace[$0] - baseline) < abs(trace[$1] - baseline) } ?? first
        let half = finite.first { $0 <= peak && abs(trace[$0] - baseline) >= abs(trace[peak] - baseline) / 2 } ?? peak
        return (delays[half], step)
    }

    /// Fits every trace (`traces`: trace-major, `delays.count` values each; NaN for a missing
    /// point) and keeps one fit per trace. `timeZeros`: each trace's start (else `timeZeroStarts`).
    /// `progress(done, total)` in traces.
    public func fit(delays: [Double], traces: [Float], engine: FitEngine,
                    timeZeros: [(t0: Double, irf: Double)]? = nil,
                    progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> [KineticsTraceFit] {
        let m = delays.count
        precondition(m > 0 && traces.count % m == 0)
        var kept: [KineticsTraceFit] = []
        kept.reserveCapacity(traces.count / m)
        var given: ((Range<Int>, [Float]) -> [(t0: Double, irf: Double)])?
        if let timeZeros { given = { range, _ in Array(timeZeros[range]) } }
        try fit(delays: delays, traceCount: traces.count / m, engine: engine,
                read: { Array(traces[$0.lowerBound * m ..< $0.upperBound * m]) },
                timeZeros: given,
                deliver: { _, fits in kept += fits }, progress: progress)
        return kept
    }

    /// Fits `traceCount` traces a block of `blockSize` at a time, so that memory does not grow
    /// with the trace count: `read(range)` gives the block's traces (trace-major), `timeZeros`
    /// their starts (else `timeZeroStarts`), and `deliver(range, fits)` takes the block's kept
    /// fits, in order. `progress(done, total)` in traces.
    public func fit(delays: [Double], traceCount: Int, engine: FitEngine, blockSize: Int = Self.blockSize,
                    read: (Range<Int>) throws -> [Float],
                    timeZeros: ((Range<Int>, [Float]) -> [(t0: Double, irf: Double)])? = nil,
                    deliver: (Range<Int>, [KineticsTraceFit]) throws -> Void,
                    progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws {
        precondition(!delays.isEmpty && blockSize > 0)
        var done = 0
        while done < traceCount {
            let range = done..<min(traceCount, done + blockSize)
            let traces = try read(range)
            precondition(traces.count == range.count * delays.count, "one value per delay and trace")
            let starts = timeZeros?(range, traces) ?? Self.timeZeroStarts(delays: delays, traces: traces)
            let fits = try fitBlock(delays: delays, traces: traces, starts: starts, engine: engine) { fraction in
                progress(range.lowerBound + Int(Double(range.count) * fraction), traceCount)
            }
            try deliver(range, fits)
            done = range.upperBound
            progress(done, traceCount)
        }
    }

    /// One block: every component count fitted, one fit kept per trace. `progress(fraction)`
    /// after each count.
    func fitBlock(delays: [Double], traces: [Float], starts: [(t0: Double, irf: Double)], engine: FitEngine,
                  progress: (Double) -> Void) throws -> [KineticsTraceFit] {
        let m = delays.count
        let count = traces.count / m
        precondition(starts.count == count, "one start per trace")
        let rule = KineticsStart(delays: delays)
        let ceiling = (KineticsBounds(delays: delays)?.span ?? 1) * KineticsBounds.lifetimeSpans
        var kept = [KineticsTraceFit?](repeating: nil, count: count)
        for (step, n) in components.counts.enumerated() {
            let model = ModelID.kinetics(exponentials: n, coherentArtifact: coherentArtifact)!
            let p = model.parameterCount
            let mask = fittedMask(model)
            var start = [Double](repeating: .nan, count: count * p)
            start.withUnsafeMutableBufferPointer { buffer in
                let out = buffer
                DispatchQueue.concurrentPerform(iterations: count) { i in
                    let trace = (0..<m).map { Double(traces[i * m + $0]) }
                    if let s = rule.estimate(model: model, trace: trace, t0: starts[i].t0, irf: starts[i].irf) {
                        for j in 0..<p { out[i * p + j] = s[j] }
                    }
                }
            }
            let batch = FitBatch(model: model, fitCount: count, pointCount: m, data: traces, coordinates: .sharedX(delays),
                                 initialParameters: start, parametersToFit: mask)
            let results = try engine.fit(batch, settings: settings)
            let free = mask.filter { $0 }.count
            var candidates = (0..<count).map { candidate(results, fit: $0, traces: traces, m: m, longLived: false, freeParameters: free) }
            // The fits whose slowest lifetime ran to the ceiling: that component, moved last, held.
            let atCeiling = (0..<count).filter { i in
                results.state(i) == .atBound && (0..<n).contains { c in FitFinishing.isOn(results.parameters[i * p + 2 * c + 1], bound: ceiling) }
            }
            if !atCeiling.isEmpty {
                let held = try holdLongLived(atCeiling, results: results, model: model, delays: delays, traces: traces, engine: engine)
                for (k, i) in atCeiling.enumerated() { candidates[i] = held[k] }
            }
            for i in 0..<count {
                guard let c = candidates[i] else { continue }
                guard let current = kept[i] else { kept[i] = c; continue }
                if Self.better(c, than: current) { kept[i] = c }
            }
            progress(Double(step + 1) / Double(components.counts.count))
        }
        // A trace no candidate could fit (no usable start, invalid data): NaN, invalid input.
        let fallback = ModelID.kinetics(exponentials: components.counts[0], coherentArtifact: coherentArtifact)!
        let nothing = [Double](repeating: .nan, count: fallback.parameterCount)
        return kept.map {
            $0 ?? KineticsTraceFit(model: fallback, longLived: false, state: .invalidInput, parameters: nothing,
                                   standardErrors: nothing, chiSquare: .nan, bic: .nan, iterations: 0)
        }
    }

    /// Whether `a` is kept over `b`: an honest fit over one that is not, then the lower BIC.
    static func better(_ a: KineticsTraceFit, than b: KineticsTraceFit) -> Bool {
        if a.isHonest != b.isHonest { return a.isHonest }
        if !b.bic.isFinite { return a.bic.isFinite }
        return a.bic < b.bic
    }

    /// Fit `i` of `results` as a candidate (nil when its input was invalid), its components
    /// ordered by lifetime.
    func candidate(_ results: FitResults, fit i: Int, traces: [Float], m: Int, longLived: Bool, freeParameters: Int? = nil) -> KineticsTraceFit? {
        guard let state = results.state(i), state != .invalidInput else { return nil }
        let model = results.model, p = model.parameterCount, n = model.exponentialCount
        var values = Array(results.parameters(of: i)), errors = Array(results.standardErrors(of: i))
        let order = (0..<n).sorted { values[2 * $0 + 1] < values[2 * $1 + 1] }
        let pairs = order.map { (values[2 * $0], values[2 * $0 + 1], errors[2 * $0], errors[2 * $0 + 1]) }
        for (c, pair) in pairs.enumerated() {
            values[2 * c] = pair.0; values[2 * c + 1] = pair.1; errors[2 * c] = pair.2; errors[2 * c + 1] = pair.3
        }
        if longLived { values[2 * n - 1] = .infinity; errors[2 * n - 1] = .nan }
        var used = 0
        for k in 0..<m where traces[i * m + k].isFinite { used += 1 }
        let chi = results.chiSquares[i], k = Double(freeParameters ?? p), points = Double(used)
        let bic = chi > 0 && points > 0 ? points * log(chi / points) + k * log(points) : -.infinity
        return KineticsTraceFit(model: model, longLived: longLived, state: state, parameters: values, standardErrors: errors,
                                chiSquare: chi, bic: bic, iterations: Int(results.iterations[i]))
    }

    /// Refits traces `indices` with the component whose lifetime reached the ceiling moved last
    /// and held at `longLivedSpans` spans.
    func holdLongLived(_ indices: [Int], results: FitResults, model: ModelID, delays: [Double], traces: [Float],
                       engine: FitEngine) throws -> [KineticsTraceFit?] {
        let m = delays.count, p = model.parameterCount, n = model.exponentialCount
        let held = (KineticsBounds(delays: delays)?.span ?? 1) * Self.longLivedSpans
        var data: [Float] = [], start: [Double] = [], lower: [Double] = [], upper: [Double] = []
        for i in indices {
            data += traces[i * m ..< (i + 1) * m]
            var values = Array(results.parameters(of: i))
            let slowest = (0..<n).max { values[2 * $0 + 1] < values[2 * $1 + 1] }!
            let last = n - 1
            values.swapAt(2 * slowest, 2 * last); values.swapAt(2 * slowest + 1, 2 * last + 1)
            values[2 * last + 1] = held
            start += values
            var low = [Double](repeating: -.infinity, count: p), high = [Double](repeating: .infinity, count: p)
            low[2 * last + 1] = held; high[2 * last + 1] = held
            lower += low; upper += high
        }
        var mask = fittedMask(model)
        mask[2 * n - 1] = false
        let batch = FitBatch(model: model, fitCount: indices.count, pointCount: m, data: data, coordinates: .sharedX(delays),
                             initialParameters: start, parametersToFit: mask, lowerBounds: lower, upperBounds: upper)
        let refits = try engine.fit(batch, settings: settings)
        // The held lifetime is the longest, so ordering by lifetime leaves it last.
        let free = mask.filter { $0 }.count
        return indices.indices.map { candidate(refits, fit: $0, traces: data, m: m, longLived: true, freeParameters: free) }
    }
}
