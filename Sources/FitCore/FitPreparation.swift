import Dispatch

/// A batch made ready for a solver: validated, each fit's start values resolved (given or
/// estimated), bounds filled in, and everything in ROI-local coordinates. Every backend solves
/// a `PreparedFits`, so validation, auto-start and coordinates are decided once for all of them.
public struct PreparedFits: Sendable {
    public let batch: FitBatch
    public let settings: FitSettings
    /// fitCount x parameterCount start values, inside the bounds, ROI-local.
    public var start: [Double]
    /// fitCount x parameterCount bounds, ROI-local; -inf / +inf where open.
    public var lower: [Double]
    public var upper: [Double]
    /// Which parameters are fitted.
    public let fitMask: [Bool]
    /// nil for a fit that can be solved; the reason otherwise.
    public var problems: [FitInputProblem?]

    public var model: ModelID { batch.model }
    public var fitCount: Int { batch.fitCount }
    public var pointCount: Int { batch.pointCount }
    public var parameterCount: Int { batch.model.parameterCount }
    /// How many parameters are fitted (read per fit by the error scale: kept, not recounted).
    public let freeParameterCount: Int
    /// A runtime model's compiled form, held for the whole solve (releasing its id meanwhile
    /// changes nothing here); nil for the built-in models.
    public let runtimeModel: RuntimeModel?

    /// Validates `batch` (throwing for whole-call problems) and prepares every fit, on all cores.
    public init(_ batch: FitBatch, settings: FitSettings) throws {
        try batch.validateShape()
        try settings.validate()
        self.batch = batch
        self.settings = settings
        let runtime = batch.model.runtimeModel
        runtimeModel = runtime
        if batch.model.isRuntime && runtime == nil {
            throw FitError.invalidBatch("runtime model \(batch.model.name) (id \(batch.model.rawValue)) was released: compile it again for a new id")
        }
        let n = batch.fitCount, p = batch.parameterCount
        let mask = batch.parametersToFit ?? Array(repeating: true, count: p)
        fitMask = mask
        let free = mask.filter { $0 }.count
        freeParameterCount = free
        guard free > 0 else { throw FitError.invalidBatch("the parameter mask fixes every parameter: nothing to fit") }
        var start = [Double](repeating: 0, count: n * p)
        var lower = batch.lowerBounds.map { $0.map { $0.isNaN ? -.infinity : $0 } } ?? Array(repeating: -.infinity, count: n * p)
        var upper = batch.upperBounds.map { $0.map { $0.isNaN ? .infinity : $0 } } ?? Array(repeating: .infinity, count: n * p)
        var problems = [FitInputProblem?](repeating: nil, count: n)
        start.withUnsafeMutableBufferPointer { startBuffer in
        lower.withUnsafeMutableBufferPointer { lowerBuffer in
        upper.withUnsafeMutableBufferPointer { upperBuffer in
        problems.withUnsafeMutableBufferPointer { problemBuffer in
            var shared: KineticsBounds?
            if batch.model.exponentialCount > 0, case let .sharedX(x) = batch.coordinates { shared = KineticsBounds(delays: x) }
            let context = FitPreparer(batch: batch, model: batch.model.descriptor, runtime: runtime, settings: settings, mask: mask,
                                      freeParameters: free, fastStart: FastStart(batch),
                                      kineticsBounds: shared, start: startBuffer.baseAddress!, lower: lowerBuffer.baseAddress!,
                                      upper: upperBuffer.baseAddress!, problems: problemBuffer.baseAddress!)
            let chunks = n < 4096 ? 1 : min(64, n / 1024)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for fit in (chunk * n / chunks)..<((chunk + 1) * n / chunks) { context.prepare(fit: fit) }
            }
        }}}}
        self.start = start
        self.lower = lower
        self.upper = upper
        self.problems = problems
    }

}

/// Prepares one fit at a time into preallocated outputs; each fit touches only its own slots,
/// so fits are prepared in parallel.
struct FitPreparer: @unchecked Sendable {
    let batch: FitBatch
    /// The model's row, looked up once per batch rather than per fit.
    let model: ModelDescriptor
    /// A runtime model's start expressions and default bounds.
    let runtime: RuntimeModel?
    let settings: FitSettings
    let mask: [Bool]
    let freeParameters: Int
    let fastStart: FastStart?
    /// The kinetics models' default bounds when every fit shares one delay axis (else per fit).
    let kineticsBounds: KineticsBounds?
    let start, lower, upper: UnsafeMutablePointer<Double>
    let problems: UnsafeMutablePointer<FitInputProblem?>

    func prepare(fit: Int) {
        let p = batch.parameterCount, m = batch.pointCount
        let position = (x: model.xParameter, y: model.yParameter)
        let base = fit * p
        if batch.model.exponentialCount > 0, let bounds = kineticsBounds ?? kineticsBounds(fit: fit) {
            bounds.fillOpenSides(model: batch.model, lower: lower + base, upper: upper + base)
        }
        for j in batch.model.positiveParameters where position.x == nil && lower[base + j] == -.infinity {
            lower[base + j] = ModelID.minimumPositiveValue
        }
        if let runtime {
            // The model file's bounds where the batch leaves a side open.
            for j in 0..<p {
                if lower[base + j] == -.infinity { lower[base + j] = runtime.lowerBounds[j] }
                if upper[base + j] == .infinity { upper[base + j] = runtime.upperBounds[j] }
            }
        }
        // Bounds and given start values move into ROI-local coordinates.
        var shift = (x: 0.0, y: 0.0)
        if let origins = batch.origins {
            shift = (origins[2 * fit], origins[2 * fit + 1])
            if let ix = position.x { lower[base + ix] -= shift.x; upper[base + ix] -= shift.x }
            if let iy = position.y { lower[base + iy] -= shift.y; upper[base + iy] -= shift.y }
        }
        if let problem = inspect(fit: fit) {
            problems[fit] = problem
            return
        }
        if let given = batch.initialParameters {
            for j in 0..<p { start[base + j] = given[base + j] }
            if let ix = position.x { start[base + ix] -= shift.x }
            if let iy = position.y { start[base + iy] -= shift.y }
        } else {
            if let runtime {
                let values = batch.data.withUnsafeBufferPointer { data in
                    let values = UnsafeBufferPointer(rebasing: data[fit * m ..< (fit + 1) * m])
                    var usable: [Int] = []
                    usable.reserveCapacity(m)
                    for k in 0..<m where (batch.weights?[fit * m + k] ?? 1) > 0 && values[k].isFinite { usable.append(k) }
                    return runtime.start.values(data: values, usable: usable, coordinates: batch.coordinates, fit: fit)
                }
                for j in 0..<p { start[base + j] = values[j] }
            } else if let fastStart {
                batch.data.withUnsafeBufferPointer { data in
                    let values = UnsafeBufferPointer(rebasing: data[fit * m ..< (fit + 1) * m])
                    switch fastStart {
                    case .grid(let rule): rule.estimate(model: batch.model, data: values, into: start + base)
                    case .curve(let rule): rule.estimate(model: batch.model, data: values, into: start + base)
                    }
                }
            } else {
                let estimate = batch.data.withUnsafeBufferPointer { data in
                    AutoStart.estimate(model: batch.model, data: UnsafeBufferPointer(rebasing: data[fit * m ..< (fit + 1) * m]),
                                       weights: batch.weights.map { Array($0[fit * m ..< (fit + 1) * m]) },
                                       coordinates: batch.coordinates, fit: fit)
                }
                for j in 0..<p { start[base + j] = estimate[j] }
            }
            if settings.estimator == .poissonMLE, let offset = model.parameterNames.firstIndex(of: "offset"), mask[offset] {
                // The Poisson likelihood needs a positive model: start the background above zero.
                start[base + offset] = max(start[base + offset], 1e-3)
            }
        }
        for j in 0..<p {
            let lo = lower[base + j], hi = upper[base + j]
            if lo > hi { problems[fit] = .invalidBounds(parameter: j); return }
            if !start[base + j].isFinite { problems[fit] = .nonFiniteStart(parameter: j); return }
            start[base + j] = min(max(start[base + j], lo), hi)
        }
    }

    /// The kinetics models' default bounds from fit `fit`'s own delays (`perFitX`).
    func kineticsBounds(fit: Int) -> KineticsBounds? {
        guard case let .perFitX(x) = batch.coordinates else { return nil }
        let m = batch.pointCount
        return KineticsBounds(delays: x[fit * m ..< (fit + 1) * m])
    }

    /// The first reason fit `fit` cannot be solved, or nil.
    func inspect(fit: Int) -> FitInputProblem? {
        let m = batch.pointCount, base = fit * m
        let isMLE = settings.estimator == .poissonMLE
        return batch.data.withUnsafeBufferPointer { all -> FitInputProblem? in
            let data = UnsafeBufferPointer(rebasing: all[base ..< base + m])
            var usable = 0
            var minimum = Float.infinity, maximum = -Float.infinity
            if let weights = batch.weights {
                for k in 0..<m {
                    let w = weights[base + k]
                    if !(w >= 0) || !w.isFinite { return .invalidWeight(point: k) }
                    if w == 0 { continue }
                    let z = data[k]
                    if !z.isFinite { return .nonFiniteData(point: k) }
                    usable += 1
                    minimum = min(minimum, z)
                    maximum = max(maximum, z)
                }
            } else {
                // The common case, 16 points at a time; where a NaN or Inf hides is found afterwards.
                let range = DataRange.of(data)
                if !range.allFinite, let k = data.firstIndex(where: { !$0.isFinite }) { return .nonFiniteData(point: k) }
                (minimum, maximum, usable) = (range.minimum, range.maximum, m)
            }
            if isMLE && minimum < 0, let k = data.firstIndex(where: { $0 < 0 }) { return .negativeDataUnderMLE(point: k) }
            if case .perFitX(let x) = batch.coordinates, let k = (0..<m).first(where: { !x[base + $0].isFinite }) {
                return .nonFiniteCoordinate(point: k)
            }
            if usable == 0 { return .allWeightsZero }
            if usable < freeParameters { return .tooFewPoints(usable: usable, freeParameters: freeParameters) }
            // Under Gpufit's rules flat data are fitted as Gpufit fits them (the amplitude goes to
            // zero, the background to the constant); femtofit's own refuses them as uninformative.
            if model.needsContrast && !(maximum > minimum) && settings.convergence != .gpufit { return .flatData }
            return nil
        }
    }
}

/// The fast start rules, for batches whose every point is usable once inspected (no
/// weights, so a fit with a NaN is invalid input before its start is estimated): unweighted ROIs
/// of the 2D models, and kinetics curves on one shared delay axis. Other batches take the general
/// rule (`AutoStart.estimate`), which gives the same values.
enum FastStart: Sendable {
    case grid(GridStart)
    case curve(CurveStart)

    init?(_ batch: FitBatch) {
        guard batch.initialParameters == nil, batch.weights == nil else { return nil }
        switch (batch.coordinates, batch.model) {
        case let (.grid(width, height), model) where model.hasGridStart:
            self = .grid(GridStart(width: width, height: height))
        case let (.sharedX(x), model) where model.exponentialCount > 0:
            self = .curve(CurveStart(x: x))
        default:
            return nil
        }
    }
}
