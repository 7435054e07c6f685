import CFemtofit
import FitCore
import FitEngine
import FitOpenCL

/// Gpufit's C interface (docs/reference.md §5, gpufit.h): the same names, signatures, enum values
/// and semantics, on femtofit's engine. Convergence is Gpufit's rule (`ConvergenceRule.gpufit`);
/// femtofit's `invalidInput` state is reported as SINGULAR_HESSIAN (2), with NaN parameters.
enum GpufitCompatibility {
    static let ok: Int32 = 0
    static let error: Int32 = -1
    /// Gpufit's ids of the models femtofit has (the others are "model not supported").
    static let supportedModels: [Int32: ModelID] = Dictionary(uniqueKeysWithValues: ModelID.allCases.compactMap { model in
        model.descriptor.gpufitID.map { ($0, model) }
    })
    static let singularHessian: Int32 = 2
    /// Where femtofit stops a Gpufit call that sets no iteration limit (`max_n_iterations` <= 0):
    /// Gpufit would go on until every fit converges. `FitSettings`' own maximum.
    static let unlimitedIterations = 100_000
    /// gpufit calls from several threads take turns on the one engine.
    static let lock = FitLock()

    /// The engine every gpufit_* call uses: `FEMTOFIT_BACKEND` (auto, cpu, opencl, reference;
    /// default auto: an OpenCL GPU if there is one, else every CPU core), float32 like Gpufit.
    static let engine: Result<FitEngine, Error> = Result {
        let name = ProcessInfoEnvironment.current["FEMTOFIT_BACKEND"] ?? "auto"
        guard let choice = BackendChoice(rawValue: name) else {
            throw FitError.backendUnavailable("FEMTOFIT_BACKEND=\(name) is not one of auto, cpu, opencl, reference")
        }
        return try FitEngine(choice: choice, precision: .single)
    }

    /// The OpenCL device the engine fits on, if any.
    static var openCLDevice: OpenCLDevice? {
        guard case .success(let engine) = engine else { return nil }
        if let backend = engine.backend as? OpenCLBackend { return backend.device }
        if let backend = engine.backend as? AutomaticBackend { return backend.gpu?.device }
        return nil
    }

    /// The numbers `gpufit_get_cuda_version` reports when femtofit can fit: positive, driver >=
    /// runtime, because Gpufit programs check exactly that before they call gpufit() (Gpufit's
    /// performance example skips every fit otherwise). On an OpenCL device (`device`: its version
    /// and driver texts) the device's OpenCL version and the driver's version, the driver raised
    /// to the runtime where it does not parse or reads lower; on the CPU backend femtofit's C API
    /// version times 1000 for both. gpufit.h documents the rule.
    static func reportedVersions(device: (version: String, driver: String)?) -> (runtime: Int32, driver: Int32) {
        guard let device else {
            let api = FEMTOFIT_API_VERSION * 1000
            return (api, api)
        }
        let runtime = max(encodedVersion(device.version), 1000)
        return (runtime, max(encodedVersion(device.driver), runtime))
    }

    /// The first "major.minor" in a version text ("OpenCL 3.0 CUDA" -> 3.0) as major * 1000 +
    /// minor * 10, the encoding pygpufit decodes; 0 when there is no number.
    static func encodedVersion(_ text: String) -> Int32 {
        let numbers = text.split(whereSeparator: { !$0.isNumber && $0 != "." })
            .first(where: { $0.contains(".") }) ?? text.split(whereSeparator: { !$0.isNumber }).first
        guard let numbers else { return 0 }
        let parts = numbers.split(separator: ".").compactMap { Int32($0) }
        guard let major = parts.first, major < 2_000_000 else { return 0 }
        let minor = parts.count > 1 ? min(parts[1], 99) : 0
        return major * 1000 + minor * 10
    }

    /// One call of gpufit or gpufit_constrained.
    static func fit(fitCount: Int, pointCount: Int, data: UnsafeMutablePointer<Float>?,
                    weights: UnsafeMutablePointer<Float>?, modelID: Int32,
                    initialParameters: UnsafeMutablePointer<Float>?, constraints: UnsafeMutablePointer<Float>?,
                    constraintTypes: UnsafeMutablePointer<Int32>?, tolerance: Float, maxIterations: Int32,
                    parametersToFit: UnsafeMutablePointer<Int32>?, estimatorID: Int32, userInfoSize: Int,
                    userInfo: UnsafeMutablePointer<CChar>?, outputParameters: UnsafeMutablePointer<Float>?,
                    outputStates: UnsafeMutablePointer<Int32>?, outputChiSquares: UnsafeMutablePointer<Float>?,
                    outputIterations: UnsafeMutablePointer<Int32>?) -> Int32 {
        guard let model = supportedModels[modelID] else {
            let served = supportedModels.sorted { $0.key < $1.key }.map { "\($0.value.descriptor.cName) \($0.key)" }.joined(separator: ", ")
            if (0...14).contains(modelID) {
                return failGpufit(.modelNotSupported, "model not supported: Gpufit's model \(modelID) is not served by femtofit yet (it serves \(served))")
            }
            return failGpufit(.unknownModel, "unknown model ID \(modelID) (femtofit serves \(served))")
        }
        // Gpufit fits nothing and returns OK for no fits.
        guard fitCount > 0 else { return ok }
        guard pointCount > 0 else { return failGpufit(.invalidArgument, "n_points is 0: each fit needs points") }
        let p = model.parameterCount
        guard let total = checkedProduct(fitCount, pointCount), total <= Int.max / 8 else {
            return failGpufit(.tooManyPoints, "n_fits x n_points (\(fitCount) x \(pointCount)) is too large to address")
        }
        guard let parameterTotal = checkedProduct(fitCount, p), parameterTotal <= Int.max / 8 else {
            return failGpufit(.tooManyFits, "n_fits x n_parameters (\(fitCount) x \(p)) is too large to address")
        }
        guard let data else { return failGpufit(.invalidArgument, "data is NULL") }
        guard let initialParameters else { return failGpufit(.invalidArgument, "initial_parameters is NULL") }
        guard let parametersToFit else { return failGpufit(.invalidArgument, "parameters_to_fit is NULL") }
        guard let outputParameters, let outputStates, let outputChiSquares, let outputIterations else {
            return failGpufit(.invalidArgument, "an output array (output_parameters, output_states, output_chi_squares or output_n_iterations) is NULL")
        }
        guard let estimator = Estimator(rawValue: estimatorID) else {
            return failGpufit(.invalidArgument, "unknown estimator id \(estimatorID): LSE 0 or MLE 1")
        }
        // Gpufit takes any tolerance and iteration count: a tolerance of 0 or below (or NaN) never
        // passes its test, so the fits run to the limit; a limit of 0 or below is never reached, so
        // the fits run until they converge. femtofit stops those at `unlimitedIterations`.
        let runTolerance = tolerance.isFinite && tolerance > 0 ? Double(tolerance) : 0
        let runIterations = maxIterations >= 1 ? min(Int(maxIterations), unlimitedIterations) : unlimitedIterations

        // Coordinates: Gpufit's square ROIs, or 1D x values from user_info; the splines' sizes
        // and coefficients from user_info.
        var coordinates: (Range<Int>) -> FitCoordinates
        var spline: SplineTable?
        switch model.geometry {
        case _ where [ModelID.spline1D, .spline2D, .spline3D].contains(model):
            switch GpufitSplineInfo.read(model: model, pointCount: pointCount, userInfo: userInfo, size: userInfoSize) {
            case .success(let info):
                spline = info.spline
                coordinates = { _ in info.coordinates }
            case .failure(let failure): return failGpufit(.invalidArgument, failure.message)
            }
        case .grid:
            let size = Int(Double(pointCount).squareRoot().rounded())
            guard size * size == pointCount else {
                return failGpufit(.invalidArgument, "n_points = \(pointCount) is not a square number: Gpufit's 2D models fit square ROIs (size x size)")
            }
            coordinates = { _ in .grid(width: size, height: size) }
        case .curve:
            let floatCount = userInfoSize / MemoryLayout<Float>.size
            // Gpufit's test functions index their points and ignore user_info.
            if let userInfo, userInfoSize > 0, model.descriptor.startRule != .given {
                let x = UnsafeRawPointer(userInfo)
                if floatCount == pointCount {
                    let shared = doubles(x, isDouble: false, offset: 0, count: pointCount)
                    coordinates = { _ in .sharedX(shared) }
                } else if floatCount == total {
                    coordinates = { .perFitX(floats(x, isDouble: false, offset: $0.lowerBound * pointCount, count: $0.count * pointCount)) }
                } else {
                    return failGpufit(.invalidArgument, "user_info holds \(floatCount) floats; \(model.name == "linear1d" ? "LINEAR_1D" : "GAUSS_1D") takes x values for n_points (\(pointCount)) or n_fits x n_points (\(total)) points")
                }
            } else {
                let shared = (0..<pointCount).map(Double.init)
                coordinates = { _ in .sharedX(shared) }
            }
        }

        // Constraints: per parameter NONE 0, LOWER 1, UPPER 2, LOWER_UPPER 3; n_fits x p x {lower, upper}.
        var types = [Int32](repeating: 0, count: p)
        if let constraintTypes {
            for j in 0..<p {
                types[j] = constraintTypes[j]
                guard (0...3).contains(types[j]) else {
                    return failGpufit(.invalidArgument, "constraint_types[\(j)] = \(types[j]) is not a constraint type (NONE 0, LOWER 1, UPPER 2, LOWER_UPPER 3)")
                }
            }
        }
        let constrained = types.contains { $0 != 0 }
        if constrained && constraints == nil { return failGpufit(.invalidArgument, "constraints is NULL, but constraint_types asks for bounds") }

        let mask = (0..<p).map { parametersToFit[$0] != 0 }
        let bounds = { (fit: Int, j: Int) -> (lower: Float, upper: Float) in
            guard constrained, let constraints else { return (-.infinity, .infinity) }
            let base = fit * p * 2
            return (types[j] & 1 != 0 ? constraints[base + 2 * j] : -.infinity, types[j] & 2 != 0 ? constraints[base + 2 * j + 1] : .infinity)
        }
        if !mask.contains(true) {
            GpufitFixedFits(model: model, pointCount: pointCount, estimator: estimator, data: data, weights: weights,
                            start: initialParameters, bounds: bounds, coordinates: coordinates, spline: spline)
                .evaluate(fitCount: fitCount, parameters: outputParameters, states: outputStates,
                          chiSquares: outputChiSquares, iterations: outputIterations)
            return ok
        }
        let settings = FitSettings(tolerance: runTolerance, maxIterations: runIterations, estimator: estimator,
                                   weightsAreInverseVariances: true, convergence: .gpufit)
        let engine: FitEngine
        switch self.engine {
        case .success(let e): engine = e
        case .failure(let error): return failGpufit(.invalidArgument, "femtofit cannot fit here: \(error)")
        }
        let runner = ChunkedFit(engine: engine, settings: settings, fitCount: fitCount, pointCount: pointCount)
        do {
            try lock.withLock {
                try runner.run(makeBatch: { range in
                    let n = pointCount, count = range.count
                    let start = (range.lowerBound * p ..< range.upperBound * p).map { Double(initialParameters[$0]) }
                    var lower: [Double]?, upper: [Double]?
                    if constrained {
                        var l = [Double](repeating: -.infinity, count: count * p), u = [Double](repeating: .infinity, count: count * p)
                        for local in 0..<count {
                            for j in 0..<p {
                                let (lo, hi) = bounds(range.lowerBound + local, j)
                                (l[local * p + j], u[local * p + j]) = (Double(lo), Double(hi))
                            }
                        }
                        lower = l; upper = u
                    }
                    return FitBatch(model: model, fitCount: count, pointCount: n,
                                    data: floats(data, isDouble: false, offset: range.lowerBound * n, count: count * n),
                                    coordinates: coordinates(range),
                                    weights: weights.map { floats($0, isDouble: false, offset: range.lowerBound * n, count: count * n) },
                                    initialParameters: start, parametersToFit: mask, lowerBounds: lower, upperBounds: upper,
                                    spline: spline)
                }, write: { range, results in
                    for (local, fit) in range.enumerated() {
                        for j in 0..<p { outputParameters[fit * p + j] = Float(results.parameters[local * p + j]) }
                        let state = results.stateCodes[local]
                        // femtofit's own "not fitted" states read as Gpufit's singular Hessian (docs/c-api.md).
                        outputStates[fit] = state == FitState.invalidInput.rawValue || state == FitState.nonFiniteModel.rawValue ? singularHessian : state
                        outputChiSquares[fit] = Float(results.chiSquares[local])
                        outputIterations[fit] = results.iterations[local]
                    }
                }, shouldStop: { _ in false })
            }
        } catch {
            return failGpufit(.invalidArgument, "\(error)")
        }
        return ok
    }
}

@_cdecl("gpufit")
public func gpufit(_ n_fits: Int, _ n_points: Int, _ data: UnsafeMutablePointer<Float>?,
                   _ weights: UnsafeMutablePointer<Float>?, _ model_id: Int32,
                   _ initial_parameters: UnsafeMutablePointer<Float>?, _ tolerance: Float, _ max_n_iterations: Int32,
                   _ parameters_to_fit: UnsafeMutablePointer<Int32>?, _ estimator_id: Int32, _ user_info_size: Int,
                   _ user_info: UnsafeMutablePointer<CChar>?, _ output_parameters: UnsafeMutablePointer<Float>?,
                   _ output_states: UnsafeMutablePointer<Int32>?, _ output_chi_squares: UnsafeMutablePointer<Float>?,
                   _ output_n_iterations: UnsafeMutablePointer<Int32>?) -> Int32 {
    GpufitCompatibility.fit(fitCount: n_fits, pointCount: n_points, data: data, weights: weights, modelID: model_id,
                            initialParameters: initial_parameters, constraints: nil, constraintTypes: nil,
                            tolerance: tolerance, maxIterations: max_n_iterations, parametersToFit: parameters_to_fit,
                            estimatorID: estimator_id, userInfoSize: user_info_size, userInfo: user_info,
                            outputParameters: output_parameters, outputStates: output_states,
                            outputChiSquares: output_chi_squares, outputIterations: output_n_iterations)
}

@_cdecl("gpufit_constrained")
public func gpufitConstrained(_ n_fits: Int, _ n_points: Int, _ data: UnsafeMutablePointer<Float>?,
                              _ weights: UnsafeMutablePointer<Float>?, _ model_id: Int32,
                              _ initial_parameters: UnsafeMutablePointer<Float>?,
                              _ constraints: UnsafeMutablePointer<Float>?, _ constraint_types: UnsafeMutablePointer<Int32>?,
                              _ tolerance: Float, _ max_n_iterations: Int32,
                              _ parameters_to_fit: UnsafeMutablePointer<Int32>?, _ estimator_id: Int32,
                              _ user_info_size: Int, _ user_info: UnsafeMutablePointer<CChar>?,
                              _ output_parameters: UnsafeMutablePointer<Float>?, _ output_states: UnsafeMutablePointer<Int32>?,
                              _ output_chi_squares: UnsafeMutablePointer<Float>?,
                              _ output_n_iterations: UnsafeMutablePointer<Int32>?) -> Int32 {
    GpufitCompatibility.fit(fitCount: n_fits, pointCount: n_points, data: data, weights: weights, modelID: model_id,
                            initialParameters: initial_parameters, constraints: constraints,
                            constraintTypes: constraint_types, tolerance: tolerance, maxIterations: max_n_iterations,
                            parametersToFit: parameters_to_fit, estimatorID: estimator_id,
                            userInfoSize: user_info_size, userInfo: user_info, outputParameters: output_parameters,
                            outputStates: output_states, outputChiSquares: output_chi_squares,
                            outputIterations: output_n_iterations)
}

@_cdecl("gpufit_cuda_available")
public func gpufitCUDAAvailable() -> Int32 {
    switch GpufitCompatibility.engine {
    case .success: return 1
    case .failure(let error):
        _ = failGpufit(.noDevice, "femtofit cannot fit here: \(error)")
        return 0
    }
}

@_cdecl("gpufit_get_cuda_version")
public func gpufitGetCUDAVersion(_ runtime: UnsafeMutablePointer<Int32>?, _ driver: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let runtime, let driver else {
        return failGpufit(.invalidArgument, "gpufit_get_cuda_version: runtime_version or driver_version is NULL")
    }
    guard case .success = GpufitCompatibility.engine else {
        runtime.pointee = 0
        driver.pointee = 0
        return GpufitCompatibility.ok
    }
    let versions = GpufitCompatibility.reportedVersions(device: GpufitCompatibility.openCLDevice.map { ($0.deviceVersion, $0.driverVersion) })
    runtime.pointee = versions.runtime
    driver.pointee = versions.driver
    return GpufitCompatibility.ok
}
