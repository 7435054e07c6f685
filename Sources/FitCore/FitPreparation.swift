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
    public var freeParameterCount: Int { fitMask.filter { $0 }.count }

    /// Validates `batch` (throwing for whole-call problems) and prepares every fit.
    public init(_ batch: FitBatch, settings: FitSettings) throws {
        try batch.validateShape()
        try settings.validate()
        self.batch = batch
        self.settings = settings
        let n = batch.fitCount, p = batch.parameterCount
        let mask = batch.parametersToFit ?? Array(repeating: true, count: p)
        fitMask = mask
        start = Array(repeating: 0, count: n * p)
        lower = batch.lowerBounds.map { $0.map { $0.isNaN ? -.infinity : $0 } } ?? Array(repeating: -.infinity, count: n * p)
        upper = batch.upperBounds.map { $0.map { $0.isNaN ? .infinity : $0 } } ?? Array(repeating: .infinity, count: n * p)
        problems = Array(repeating: nil, count: n)
        let free = mask.filter { $0 }.count
        guard free > 0 else { throw FitError.invalidBatch("the parameter mask fixes every parameter: nothing to fit") }

        let position = batch.model.positionParameters
        let positive = batch.model.positionParameters.x == nil ? batch.model.positiveParameters : []
        for fit in 0..<n {
            let range = fit * p ..< (fit + 1) * p
            for j in positive where lower[fit * p + j] == -.infinity { lower[fit * p + j] = ModelID.minimumPositiveValue }
            // Bounds and given start values move into ROI-local coordinates.
            if let origins = batch.origins {
                for (index, shift) in [(position.x, origins[2 * fit]), (position.y, origins[2 * fit + 1])] {
                    guard let index else { continue }
                    lower[fit * p + index] -= shift
                    upper[fit * p + index] -= shift
                }
            }
            if let problem = Self.inspect(batch, fit: fit, settings: settings, freeParameters: free) {
                problems[fit] = problem
                continue
            }
            var values: [Double]
            if let given = batch.initialParameters {
                values = Array(given[range])
                if let origins = batch.origins {
                    if let ix = position.x { values[ix] -= origins[2 * fit] }
                    if let iy = position.y { values[iy] -= origins[2 * fit + 1] }
                }
            } else {
                values = batch.data.withUnsafeBufferPointer { data in
                    let weights = batch.weights.map { Array($0[fit * batch.pointCount ..< (fit + 1) * batch.pointCount]) }
                    return AutoStart.estimate(model: batch.model,
                                              data: UnsafeBufferPointer(rebasing: data[fit * batch.pointCount ..< (fit + 1) * batch.pointCount]),
                                              weights: weights, coordinates: batch.coordinates, fit: fit)
                }
            }
            for j in 0..<p {
                let lo = lower[fit * p + j], hi = upper[fit * p + j]
                if lo > hi { problems[fit] = .invalidBounds(parameter: j); break }
                if !values[j].isFinite { problems[fit] = .nonFiniteStart(parameter: j); break }
                values[j] = min(max(values[j], lo), hi)
            }
            if settings.estimator == .poissonMLE, batch.initialParameters == nil,
               let offsetIndex = batch.model.parameterNames.firstIndex(of: "offset"), mask[offsetIndex] {
                // The Poisson likelihood needs a positive model: start the background above zero.
                values[offsetIndex] = max(values[offsetIndex], 1e-3)
            }
            for j in 0..<p { start[fit * p + j] = values[j] }
        }
    }

    /// The first reason fit `fit` cannot be solved, or nil.
    static func inspect(_ batch: FitBatch, fit: Int, settings: FitSettings, freeParameters: Int) -> FitInputProblem? {
        let m = batch.pointCount, base = fit * m
        var usable = 0
        var minimum = Float.infinity, maximum = -Float.infinity
        for k in 0..<m {
            let w: Float = batch.weights?[base + k] ?? 1
            if !(w >= 0) || !w.isFinite { return .invalidWeight(point: k) }
            if w == 0 { continue }
            let z = batch.data[base + k]
            if !z.isFinite { return .nonFiniteData(point: k) }
            if settings.estimator == .poissonMLE && z < 0 { return .negativeDataUnderMLE(point: k) }
            if case .perFitX(let x) = batch.coordinates, !x[base + k].isFinite { return .nonFiniteCoordinate(point: k) }
            usable += 1
            minimum = min(minimum, z)
            maximum = max(maximum, z)
        }
        if usable == 0 { return .allWeightsZero }
        if usable < freeParameters { return .tooFewPoints(usable: usable, freeParameters: freeParameters) }
        if batch.model.needsContrast && !(maximum > minimum) { return .flatData }
        return nil
    }
}
