import CFemtofit
import FitCore
import FitEngine

@_cdecl("femtofit_settings_init")
public func femtofitSettingsInit(_ settings: UnsafeMutablePointer<femtofit_settings>?) {
    guard let settings else { return }
    let defaults = FitSettings()
    settings.pointee = femtofit_settings(
        tolerance: defaults.tolerance, max_iterations: Int32(defaults.maxIterations),
        estimator: FEMTOFIT_ESTIMATOR_LSE, weights_are_inverse_variances: 1, robust_errors: 0,
        progress: nil, progress_user_data: nil)
}

@_cdecl("femtofit_fit")
public func femtofitFit(_ contextPointer: OpaquePointer?, _ batchPointer: UnsafePointer<femtofit_batch>?,
                        _ settingsPointer: UnsafePointer<femtofit_settings>?,
                        _ resultsPointer: UnsafePointer<femtofit_results>?) -> Int32 {
    fit("femtofit_fit", contextPointer, batchPointer, nil, settingsPointer, resultsPointer)
}

@_cdecl("femtofit_fit_spline")
public func femtofitFitSpline(_ contextPointer: OpaquePointer?, _ batchPointer: UnsafePointer<femtofit_batch>?,
                              _ splinePointer: UnsafePointer<femtofit_spline>?,
                              _ settingsPointer: UnsafePointer<femtofit_settings>?,
                              _ resultsPointer: UnsafePointer<femtofit_results>?) -> Int32 {
    guard let splinePointer else { return fail("femtofit_fit_spline: the spline is NULL") }
    let spline: SplineTable
    do { spline = try CSpline.table(splinePointer.pointee) } catch {
        return fail("femtofit_fit_spline: \(error)")
    }
    return fit("femtofit_fit_spline", contextPointer, batchPointer, spline, settingsPointer, resultsPointer)
}

/// One call of femtofit_fit or femtofit_fit_spline (`spline`: the latter's template).
private func fit(_ name: String, _ contextPointer: OpaquePointer?, _ batchPointer: UnsafePointer<femtofit_batch>?, _ spline: SplineTable?,
                 _ settingsPointer: UnsafePointer<femtofit_settings>?, _ resultsPointer: UnsafePointer<femtofit_results>?) -> Int32 {
    guard let contextPointer else { return fail("\(name): the context is NULL; create one with femtofit_context_create") }
    guard let batchPointer else { return fail("\(name): the batch is NULL") }
    guard let resultsPointer else { return fail("\(name): the results struct is NULL") }
    guard let context = ContextRegistry.context(contextPointer) else { return fail(ContextRegistry.notLive(name)) }
    let batch = batchPointer.pointee, outputs = resultsPointer.pointee
    var cSettings = femtofit_settings()
    if let settingsPointer { cSettings = settingsPointer.pointee } else { femtofitSettingsInit(&cSettings) }

    var call: CFitCall
    do { call = try CFitCall(batch: batch, settings: cSettings) } catch {
        return fail("\(name): \(error)")
    }
    let isSpline = [ModelID.spline1D, .spline2D, .spline3D].contains(call.model)
    if isSpline && spline == nil {
        return fail("\(name): \(call.model.name) fits a spline template: call femtofit_fit_spline with its coefficients")
    }
    if !isSpline && spline != nil {
        return fail("\(name): \(call.model.name) takes no spline: call femtofit_fit")
    }
    call.spline = spline
    do { try call.batch(for: 0..<0).validateShape() } catch {
        return fail("\(name): \(error)")
    }
    let p = call.model.parameterCount
    let runner = ChunkedFit(engine: context.engine, settings: call.settings, fitCount: call.fitCount, pointCount: call.pointCount)
    do {
        try context.lock.withLock {
            context.clearCancel()
            try runner.run(makeBatch: call.batch(for:), write: { range, results in
                for (local, fit) in range.enumerated() {
                    for j in 0..<p {
                        outputs.parameters?[fit * p + j] = results.parameters[local * p + j]
                        outputs.standard_errors?[fit * p + j] = results.standardErrors[local * p + j]
                    }
                    outputs.states?[fit] = results.stateCodes[local]
                    outputs.chi_squares?[fit] = results.chiSquares[local]
                    outputs.iterations?[fit] = results.iterations[local]
                }
            }, shouldStop: { done in
                if let progress = cSettings.progress, progress(done, call.fitCount, cSettings.progress_user_data) != 0 {
                    return true
                }
                return context.cancelRequested
            })
        }
    } catch ChunkedFit.Stop.cancelled {
        return fail("\(name): cancelled", status: FEMTOFIT_CANCELLED)
    } catch {
        return fail("\(name): \(error)")
    }
    return FEMTOFIT_OK
}

/// A `femtofit_batch` and `femtofit_settings` checked and turned into the engine's terms.
struct CFitCall {
    let model: ModelID
    let fitCount: Int
    let pointCount: Int
    let settings: FitSettings
    let raw: femtofit_batch
    let isDouble: Bool
    let sharedX: [Double]?
    let mask: [Bool]?
    /// The spline models' template (femtofit_fit_spline).
    var spline: SplineTable?

    init(batch: femtofit_batch, settings: femtofit_settings) throws {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws(FitError) {
            if !ok { throw FitError.invalidBatch(message()) }
        }
        guard let model = CModelID.model(batch.model) else { throw FitError.invalidBatch(unknownModel(batch.model)) }
        self.model = model
        raw = batch
        fitCount = batch.n_fits
        pointCount = batch.n_points
        // size_t arrives as Int: a value of 2^63 or more (SIZE_MAX, a negative number cast) is
        // negative here and is named as the caller wrote it.
        try check(fitCount >= 0, "n_fits is \(UInt(bitPattern: fitCount)), more than any array holds (was a negative number or SIZE_MAX passed?): pass the number of fits")
        try check(pointCount >= 0, "n_points is \(UInt(bitPattern: pointCount)), more than any array holds (was a negative number or SIZE_MAX passed?): pass the points per fit")
        try check(fitCount > 0, "n_fits is 0: there is nothing to fit")
        try check(pointCount > 0, "n_points is 0: each fit needs points")
        try check(checkedProduct(fitCount, pointCount).flatMap { checkedProduct($0, MemoryLayout<Double>.size) } != nil
                  && checkedProduct(fitCount, model.parameterCount).flatMap { checkedProduct($0, MemoryLayout<Double>.size) } != nil,
                  "n_fits x n_points (\(batch.n_fits) x \(batch.n_points)) is more than any array holds: check both counts")
        try check(batch.value_type == FEMTOFIT_FLOAT32 || batch.value_type == FEMTOFIT_FLOAT64,
                  "value_type \(batch.value_type) is neither FEMTOFIT_FLOAT32 nor FEMTOFIT_FLOAT64")
        isDouble = batch.value_type == FEMTOFIT_FLOAT64
        try check(batch.data != nil, "data is NULL")
        switch model.geometry {
        case .grid:
            try check(batch.roi_width > 0 && batch.roi_height > 0
                      && checkedProduct(batch.roi_width, batch.roi_height) == pointCount,
                      "a \(batch.roi_width) x \(batch.roi_height) ROI does not hold n_points = \(pointCount) pixels (\(model.name) fits 2D ROIs: set roi_width and roi_height)")
            try check(batch.x == nil, "\(model.name) fits 2D ROIs on their pixel grid: x must be NULL")
            sharedX = nil
        case .curve:
            if let x = batch.x, batch.x_per_fit == 0 {
                sharedX = doubles(x, isDouble: batch.value_type == FEMTOFIT_FLOAT64, offset: 0, count: pointCount)
            } else if batch.x == nil {
                try check(batch.x_per_fit == 0, "x_per_fit is set but x is NULL")
                sharedX = (0..<pointCount).map(Double.init)
            } else {
                sharedX = nil
            }
        }
        if let flags = batch.parameters_to_fit {
            mask = (0..<model.parameterCount).map { flags[$0] != 0 }
        } else {
            mask = nil
        }
        guard let estimator = Estimator(rawValue: settings.estimator) else {
            throw FitError.invalidSettings("unknown estimator \(settings.estimator): use FEMTOFIT_ESTIMATOR_LSE (0) or FEMTOFIT_ESTIMATOR_MLE (1)")
        }
        self.settings = FitSettings(tolerance: settings.tolerance, maxIterations: Int(settings.max_iterations),
                                    estimator: estimator,
                                    weightsAreInverseVariances: settings.weights_are_inverse_variances != 0,
                                    robustErrors: settings.robust_errors != 0)
        try self.settings.validate()
    }

    /// The engine's batch for fits `range`.
    func batch(for range: Range<Int>) -> FitBatch {
        let n = pointCount, p = model.parameterCount, count = range.count
        let data = floats(raw.data!, isDouble: isDouble, offset: range.lowerBound * n, count: count * n)
        let coordinates: FitCoordinates
        switch model.geometry {
        case .grid: coordinates = .grid(width: raw.roi_width, height: raw.roi_height)
        case .curve:
            if let sharedX { coordinates = .sharedX(sharedX) }
            else { coordinates = .perFitX(floats(raw.x!, isDouble: isDouble, offset: range.lowerBound * n, count: count * n)) }
        }
        func parameterSlice(_ pointer: UnsafePointer<Double>?) -> [Double]? {
            pointer.map { Array(UnsafeBufferPointer(start: $0 + range.lowerBound * p, count: count * p)) }
        }
        return FitBatch(model: model, fitCount: count, pointCount: n, data: data, coordinates: coordinates,
                        weights: raw.weights.map { floats($0, isDouble: isDouble, offset: range.lowerBound * n, count: count * n) },
                        initialParameters: parameterSlice(raw.initial_parameters), parametersToFit: mask,
                        lowerBounds: parameterSlice(raw.lower_bounds), upperBounds: parameterSlice(raw.upper_bounds),
                        spline: spline)
    }
}

/// A `femtofit_spline` checked and copied.
enum CSpline {
    static func table(_ spline: femtofit_spline) throws -> SplineTable {
        let d = Int(spline.dimensions)
        guard (1...3).contains(d) else { throw FitError.invalidBatch("dimensions is \(d): a spline has 1, 2 or 3") }
        let all = [spline.intervals.0, spline.intervals.1, spline.intervals.2]
        let intervals = Array(all.prefix(d))
        guard intervals.allSatisfy({ $0 >= 1 && $0 < 1 << 24 }) else {
            throw FitError.invalidBatch("intervals \(intervals.map { UInt(bitPattern: $0) }) : each axis needs 1 to 2^24 intervals")
        }
        var count: Int? = 1 << (2 * d)
        for n in intervals { count = count.flatMap { checkedProduct($0, n) } }
        guard let count, count <= 1 << 30 else {
            throw FitError.invalidBatch("intervals \(intervals) make more coefficients than femtofit holds")
        }
        guard let coefficients = spline.coefficients else { throw FitError.invalidBatch("coefficients is NULL") }
        let sliceHeight = spline.slice_height
        guard sliceHeight >= 0, sliceHeight == 0 || d == 3 else {
            throw FitError.invalidBatch("slice_height is \(UInt(bitPattern: sliceHeight)): it belongs to a 3D spline (0: one slice)")
        }
        return try SplineTable(dimensions: d, intervals: intervals, coefficients: Array(UnsafeBufferPointer(start: coefficients, count: count)),
                               sliceHeight: sliceHeight == 0 ? nil : sliceHeight)
    }
}
