/// How the points of the fits in a batch get their coordinates.
public enum FitCoordinates: Sendable, Equatable {
    /// A width x height ROI, row-major: point k = row * width + column is at x = column, y = row.
    case grid(width: Int, height: Int)
    /// One x value per point, shared by every fit (a delay axis, in any spacing).
    case sharedX([Double])
    /// One x value per point and fit: fitCount x pointCount values.
    case perFitX([Float])
}

/// N fits of one model and one size: the input of every backend.
///
/// Arrays are fit-major: fit i's values are `data[i * pointCount ..< (i + 1) * pointCount]`, and
/// its parameters `[i * parameterCount ..< (i + 1) * parameterCount]`.
public struct FitBatch: Sendable {
    public var model: ModelID
    public var fitCount: Int
    public var pointCount: Int
    /// fitCount x pointCount samples.
    public var data: [Float]
    public var coordinates: FitCoordinates
    /// fitCount x pointCount weights, 1 / variance for least squares; 0 masks a point. Negative,
    /// NaN or all-zero weights make a fit invalid input.
    public var weights: [Float]?
    /// fitCount x parameterCount start values. Without them each fit starts from an estimate
    /// made from its own data (moments for Gaussians, a robust estimate for kinetics).
    public var initialParameters: [Double]?
    /// Which parameters are fitted (the others stay at their start values); all by default.
    public var parametersToFit: [Bool]?
    /// fitCount x parameterCount bounds; -inf / +inf (or NaN) leave a side open.
    public var lowerBounds: [Double]?
    public var upperBounds: [Double]?
    /// fitCount x 2 values: where each ROI's pixel (0, 0) sits in its frame, (x, y). Position
    /// parameters (x0, y0), their start values and bounds are in frame coordinates when given.
    public var origins: [Double]?

    public init(model: ModelID, fitCount: Int, pointCount: Int, data: [Float], coordinates: FitCoordinates,
                weights: [Float]? = nil, initialParameters: [Double]? = nil, parametersToFit: [Bool]? = nil,
                lowerBounds: [Double]? = nil, upperBounds: [Double]? = nil, origins: [Double]? = nil) {
        self.model = model
        self.fitCount = fitCount
        self.pointCount = pointCount
        self.data = data
        self.coordinates = coordinates
        self.weights = weights
        self.initialParameters = initialParameters
        self.parametersToFit = parametersToFit
        self.lowerBounds = lowerBounds
        self.upperBounds = upperBounds
        self.origins = origins
    }

    /// A batch of ROIs of the grid models.
    public init(model: ModelID, width: Int, height: Int, data: [Float]) {
        let points = width * height
        self.init(model: model, fitCount: points > 0 ? data.count / points : 0, pointCount: points,
                  data: data, coordinates: .grid(width: width, height: height))
    }

    public var parameterCount: Int { model.parameterCount }

    /// Checks the shapes of the whole call; per-fit problems are states, not errors.
    public func validateShape() throws {
        let p = parameterCount
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw FitError.invalidBatch(message()) }
        }
        try check(fitCount >= 0 && pointCount > 0, "a batch needs at least one point per fit (got \(pointCount))")
        try check(data.count == fitCount * pointCount,
                  "data hold \(data.count) values, but \(fitCount) fits x \(pointCount) points need \(fitCount * pointCount)")
        switch (coordinates, model.geometry) {
        case let (.grid(width, height), .grid):
            try check(width > 0 && height > 0 && width * height == pointCount,
                      "a \(width)x\(height) ROI has \(max(0, width * height)) pixels, not \(pointCount)")
        case let (.sharedX(x), .curve):
            try check(x.count == pointCount, "\(x.count) x values given for \(pointCount) points")
            try check(x.allSatisfy(\.isFinite), "the x values (delays) must all be finite numbers")
        case let (.perFitX(x), .curve):
            try check(x.count == fitCount * pointCount, "per-fit x values: \(x.count) given, \(fitCount * pointCount) needed")
        case (.grid, .curve):
            throw FitError.invalidBatch("model \(model.name) is a curve model: give x values, not a ROI size")
        case (_, .grid):
            throw FitError.invalidBatch("model \(model.name) fits 2D ROIs: give the ROI width and height")
        }
        if let w = weights { try check(w.count == data.count, "weights hold \(w.count) values, data \(data.count)") }
        if model.descriptor.startRule == .given {
            try check(initialParameters != nil, "model \(model.name) has no start rule (a test function): give start values")
        }
        if let s = initialParameters {
            try check(s.count == fitCount * p, "start values: \(s.count) given, \(fitCount) fits x \(p) parameters need \(fitCount * p)")
        }
        if let m = parametersToFit { try check(m.count == p, "the parameter mask has \(m.count) entries; \(model.name) has \(p) parameters") }
        if let l = lowerBounds { try check(l.count == fitCount * p, "lower bounds: \(l.count) given, \(fitCount * p) needed") }
        if let u = upperBounds { try check(u.count == fitCount * p, "upper bounds: \(u.count) given, \(fitCount * p) needed") }
        if let o = origins { try check(o.count == fitCount * 2, "ROI origins: \(o.count) given, \(fitCount * 2) needed (x, y per fit)") }
    }
}

/// A whole-call failure. Per-fit outcomes are states in `FitResults`, never errors.
public enum FitError: Error, Equatable, CustomStringConvertible {
    case invalidBatch(String)
    case invalidSettings(String)
    case backendUnavailable(String)

    public var description: String {
        switch self {
        case .invalidBatch(let m): return "invalid batch: \(m)"
        case .invalidSettings(let m): return "invalid settings: \(m)"
        case .backendUnavailable(let m): return "backend unavailable: \(m)"
        }
    }
}

extension FitSettings {
    public func validate() throws {
        // Under Gpufit's rule a tolerance of 0 is Gpufit's "run to the iteration limit" (its test,
        // |change| < 0, never passes); femtofit's own rule asks for a positive tolerance.
        guard tolerance.isFinite, tolerance > 0 || (tolerance == 0 && convergence == .gpufit) else {
            throw FitError.invalidSettings("tolerance must be a positive number (got \(tolerance))")
        }
        guard !(robustErrors && estimator == .poissonMLE) else {
            throw FitError.invalidSettings("robust (sandwich) errors are for least squares; Poisson MLE's curvature errors are already honest for counts")
        }
        guard maxIterations >= 1, maxIterations <= 100_000 else {
            throw FitError.invalidSettings("max iterations must be between 1 and 100000 (got \(maxIterations))")
        }
    }
}
