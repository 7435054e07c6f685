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
    /// The coefficients of the template the spline models fit (`spline1d` to `spline3d`), with
    /// as many dimensions as the model's name says; nil for every other model.
    public var spline: SplineTable?

    public init(model: ModelID, fitCount: Int, pointCount: Int, data: [Float], coordinates: FitCoordinates,
                weights: [Float]? = nil, initialParameters: [Double]? = nil, parametersToFit: [Bool]? = nil,
                lowerBounds: [Double]? = nil, upperBounds: [Double]? = nil, origins: [Double]? = nil, spline: SplineTable? = nil) {
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
        self.spline = spline
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
            try check(initialParameters != nil, "model \(model.name) has no start rule: give start values")
        }
        if model.isRuntime {
            guard let runtime = model.runtimeModel else {
                throw FitError.invalidBatch("runtime model \(model.name) (id \(model.rawValue)) was released: compile it again for a new id")
            }
            if initialParameters == nil, !runtime.start.isComplete {
                let missing = zip(runtime.descriptor.parameterNames, runtime.start.parameterRegisters).filter { $0.1 < 0 }.map(\.0)
                throw FitError.invalidBatch("runtime model \(model.name) has no start expression for \(missing.joined(separator: ", ")): give start values, or add them to the model's [start] table")
            }
        }
        try validateSpline()
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

extension FitBatch {
    /// How many dimensions the model's spline has: 1, 2 or 3 for the spline models, else nil.
    public var splineDimensions: Int? {
        switch model {
        case .spline1D: return 1
        case .spline2D: return 2
        case .spline3D: return 3
        default: return nil
        }
    }

    /// A spline model needs a spline of its dimensions whose slices fit the ROI; other models take none.
    func validateSpline() throws {
        guard let dimensions = splineDimensions else {
            if spline != nil { throw FitError.invalidBatch("model \(model.name) takes no spline coefficients (only spline1d, spline2d and spline3d do)") }
            return
        }
        guard let spline else {
            throw FitError.invalidBatch("model \(model.name) needs the coefficients of a \(dimensions)D spline (FitBatch.spline; --spline-coefficients on the command line)")
        }
        guard spline.dimensions == dimensions else {
            throw FitError.invalidBatch("model \(model.name) needs a \(dimensions)D spline; the coefficients given are of a \(spline.dimensions)D spline")
        }
        if let h = spline.sliceHeight, case let .grid(_, height) = coordinates, height % h != 0 {
            throw FitError.invalidBatch("a ROI of \(height) rows is not a stack of z slices of \(h) rows each")
        }
    }
}
