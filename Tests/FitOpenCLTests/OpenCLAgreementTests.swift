import FitCore
import FitEngine
import FitOpenCL
import XCTest
import FemtofitTestSupport

/// The OpenCL backend (PoCL here) against the float64 reference: every model its kernels cover,
/// both estimators, the same rule as the CPU backend (0.05 SE, same states, SEs 2 %, chi^2 1e-4).
final class OpenCLAgreementTests: XCTestCase {
    func backend(precision: FitPrecision = .single, maximumChunk: Int = 1 << 18, strategy: KernelStrategy = .perItem) throws -> OpenCLBackend {
        try OpenCLBackend(device: nil, precision: precision, maximumChunk: maximumChunk, strategy: strategy)
    }

    /// Issue 17's honest states through the kernels (both strategies, float32 and float64): the
    /// same cases as the CPU backends (`HonestStateCases`).
    func testKernelsReportBoundsAndSingularCurvaturesHonestly() throws {
        let seed = freshSeed(0x4059)
        for (precision, strategy) in [(FitPrecision.single, KernelStrategy.perItem), (.single, .perGroup), (.double, .perItem)] {
            let engine = FitEngine(backend: try backend(precision: precision, strategy: strategy))
            let seen = try HonestStateCases.check("OpenCL \(precision) \(strategy)", seed: seed) { try engine.fit($0, settings: $1) }
            XCTAssertGreaterThanOrEqual(seen[.atBound] ?? 0, 3 * HonestStateCases.fitsPerCase, "\(precision) \(strategy): \(seen)")
            XCTAssertGreaterThanOrEqual(seen[.singular] ?? 0, HonestStateCases.fitsPerCase, "\(precision) \(strategy): \(seen)")
        }
    }

    func testEveryKernelModelAgreesWithTheReference() throws {
        try everyKernelModelAgrees(.perItem)
    }

    func testEveryKernelModelAgreesWithTheReferenceOneGroupPerFit() throws {
        try everyKernelModelAgrees(.perGroup)
    }

    func everyKernelModelAgrees(_ strategy: KernelStrategy) throws {
        let opencl = try backend(strategy: strategy)
        for model in ModelID.allCases where KernelSource.supports(model) {
            for estimator in [Estimator.leastSquares, .poissonMLE] {
                let seed = freshSeed(UInt64(model.rawValue) &* 131 &+ UInt64(estimator.rawValue))
                // 301: not a multiple of any work-group size.
                let fits = try randomFits(model, estimator: estimator, count: 301, seed: seed)
                let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, estimator: estimator)
                let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                let result = try FitEngine(backend: opencl).fit(fits.batch, settings: settings)
                assertAgreement(result, reference, fraction: 0.05, context: "opencl \(strategy) \(model.name) \(estimator) seed \(seed)")
            }
        }
    }

    func testDoublePrecisionKernels() throws {
        for strategy in KernelStrategy.allCases {
        let opencl = try backend(precision: .double, strategy: strategy)
        for model in [ModelID.gauss2D, .gauss1D, .gauss2DPixelated, .kinetics2] {
            let seed = freshSeed(UInt64(model.rawValue) &+ 7)
            let fits = try randomFits(model, estimator: .poissonMLE, count: 100, seed: seed)
            let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, estimator: .poissonMLE)
            let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
            let result = try FitEngine(backend: opencl).fit(fits.batch, settings: settings)
            assertAgreement(result, reference, fraction: 0.01, context: "opencl double \(strategy) \(model.name) seed \(seed)")
        }
        }
    }

    /// Weights (with masked NaN pixels), fixed parameters, bounds, per-fit x and origins go
    /// through the kernels as through the reference; invalid fits keep their states.
    func testOptionalInputsAgree() throws {
        let seed = freshSeed(41)
        var fits = try randomFits(.gauss2DElliptic, estimator: .leastSquares, count: 64, seed: seed)
        let n = fits.batch.pointCount
        var weights = [Float](repeating: 1, count: 64 * n)
        for fit in 0..<64 { weights[fit * n + (fit * 7) % n] = 0; fits.batch.data[fit * n + (fit * 7) % n] = .nan }
        weights[5 * n + 3] = -1  // fit 5: invalid input
        fits.batch.weights = weights
        fits.batch.parametersToFit = [true, true, true, true, true, false]
        fits.batch.lowerBounds = (0..<64).flatMap { _ in [0.0, 0, 0, 0.5, 0.5, -100] }
        fits.batch.upperBounds = (0..<64).flatMap { _ in [1e5, 1e4, 1e4, 2.6, 20, 1000] }  // sigma_x at most 2.6
        // ROIs cut at (fit, 2 fit) of a frame: start values are in frame coordinates then.
        fits.batch.origins = (0..<64).flatMap { [Double($0), 2 * Double($0)] }
        for fit in 0..<64 {
            fits.batch.initialParameters![fit * 6 + 1] += Double(fit)
            fits.batch.initialParameters![fit * 6 + 2] += 2 * Double(fit)
        }
        let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, weightsAreInverseVariances: false)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
        for strategy in KernelStrategy.allCases {
        let result = try FitEngine(backend: backend(strategy: strategy)).fit(fits.batch, settings: settings)
        assertAgreement(result, reference, fraction: 0.05, context: "opencl \(strategy) weighted/fixed/bounded, seed \(seed)")
        XCTAssertEqual(result.state(5), .invalidInput)
        XCTAssertNotNil(result.problems[5])
        for fit in 0..<64 where fit != 5 {
            XCTAssertEqual(result.parameters[fit * 6 + 5], fits.batch.initialParameters![fit * 6 + 5], "fixed offset, fit \(fit)")
            XCTAssertEqual(result.parameters[fit * 6 + 1], reference.parameters[fit * 6 + 1], accuracy: 0.05, "x0 in frame coordinates, fit \(fit)")
            XCTAssertGreaterThan(result.parameters[fit * 6 + 1], Double(fit), "x0 in frame coordinates, fit \(fit)")
            XCTAssertLessThanOrEqual(result.parameters[fit * 6 + 3], 2.6)
            XCTAssertEqual(result.standardErrors[fit * 6 + 5], 0)
        }
        }
        var curves = try randomFits(.gauss1D, estimator: .leastSquares, count: 40, seed: seed)
        let xs = curves.batch.coordinates
        if case let .sharedX(shared) = xs {
            curves.batch.coordinates = .perFitX((0..<40).flatMap { fit in shared.map { Float($0 + 0.01 * Double(fit)) } })
        }
        let curveReference = try FitEngine(backend: ReferenceBackend()).fit(curves.batch, settings: settings)
        for strategy in KernelStrategy.allCases {
            let curveResult = try FitEngine(backend: backend(strategy: strategy)).fit(curves.batch, settings: settings)
            assertAgreement(curveResult, curveReference, fraction: 0.05, context: "opencl \(strategy) per-fit x, seed \(seed)")
        }
    }

    /// A batch split into chunks gives exactly what one launch gives.
    func testChunkedRunsMatchOneShot() throws {
        let fits = try randomFits(.gauss2D, estimator: .poissonMLE, count: 250, seed: freshSeed(43))
        let settings = FitSettings(estimator: .poissonMLE)
        let whole = try FitEngine(backend: backend()).fit(fits.batch, settings: settings)
        // 7 chunks on two alternating queues, two in flight at a time.
        let chunkedBackend = try backend(maximumChunk: 37)
        let chunked = try FitEngine(backend: chunkedBackend).fit(fits.batch, settings: settings)
        let timings = chunkedBackend.solver.timings.totals
        XCTAssertEqual(timings.launches, 7)
        XCTAssertGreaterThan(timings.kernelSeconds, 0)
        // In: data, start, lower, upper (points + 3 x 5 floats) and a skip flag; out: parameters
        // and inverse diagonal (2 x 5 floats), chi^2, state, iterations, used points.
        XCTAssertEqual(timings.bytesWritten, 250 * (4 * (fits.batch.pointCount + 15) + 4))
        XCTAssertEqual(timings.bytesRead, 250 * (4 * 10 + 4 * 4))
        XCTAssertEqual(whole.parameters, chunked.parameters)
        XCTAssertEqual(whole.standardErrors, chunked.standardErrors)
        XCTAssertEqual(whole.stateCodes, chunked.stateCodes)
        XCTAssertEqual(whole.iterations, chunked.iterations)
        // One work-group per fit, in chunks too.
        let groups = try FitEngine(backend: backend(strategy: .perGroup)).fit(fits.batch, settings: settings)
        let chunkedGroups = try FitEngine(backend: backend(maximumChunk: 37, strategy: .perGroup)).fit(fits.batch, settings: settings)
        XCTAssertEqual(groups.parameters, chunkedGroups.parameters)
        XCTAssertEqual(groups.stateCodes, chunkedGroups.stateCodes)
        XCTAssertEqual(groups.iterations, chunkedGroups.iterations)
    }

    /// The driver's view of the kernels that ran (`OpenCLKernelInfo`, printed by `femtofit bench`):
    /// the work-group strategy's local memory holds at least its partial sums, and each kernel
    /// reports its SIMD width and largest work-group.
    func testTheDriverDescribesTheKernelThatRan() throws {
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 40, seed: freshSeed(53))
        for strategy in KernelStrategy.allCases {
            let backend = try backend(strategy: strategy)
            XCTAssertNil(backend.solver.kernels.latest)
            _ = try FitEngine(backend: backend).fit(fits.batch, settings: FitSettings())
            let kernel = try XCTUnwrap(backend.solver.kernels.latest, "\(strategy)")
            XCTAssertEqual(kernel.kernelName, strategy.kernelName)
            XCTAssertEqual(kernel.strategy, strategy.rawValue)
            XCTAssertGreaterThanOrEqual(kernel.preferredWorkGroupSizeMultiple, 1)
            XCTAssertGreaterThanOrEqual(kernel.maximumWorkGroupSize, 1)
            if strategy == .perGroup {
                let group = backend.solver.effectiveGroupSize(points: fits.batch.pointCount, parameters: 5, realSize: 4)
                XCTAssertEqual(kernel.groupSize, group)
                XCTAssertGreaterThanOrEqual(kernel.localMemoryBytes, UInt64(KernelSource.sumCount(parameters: 5) * group * 4), "\(kernel)")
            } else {
                XCTAssertEqual(kernel.groupSize, 0)
            }
        }
        // Each solve describes its own kernel, also when its slots were kept from an earlier
        // solve: gauss2d, the rotated Gaussian (7 parameters: more local memory), gauss2d again.
        let backend = try backend(strategy: .perGroup)
        let rotated = try randomFits(.gauss2DRotated, estimator: .leastSquares, count: 40, seed: freshSeed(54))
        var seen: [UInt64] = []
        for batch in [fits.batch, rotated.batch, fits.batch] {
            _ = try FitEngine(backend: backend).fit(batch, settings: FitSettings())
            seen.append(try XCTUnwrap(backend.solver.kernels.latest).localMemoryBytes)
        }
        XCTAssertGreaterThan(seen[1], seen[0])
        XCTAssertEqual(seen[2], seen[0])
    }

    /// Copied through pinned staging or mapped without a copy, chunked or not, a batch gives the
    /// same results, and the same bytes are counted as exchanged with the device.
    func testBothTransfersGiveTheSameResults() throws {
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 250, seed: freshSeed(47))
        let settings = FitSettings()
        var results: [FitResults] = []
        for transfer in OpenCLTransfer.allCases {
            for chunk in [1 << 18, 37] {
                var solver = try backend(maximumChunk: chunk).solver
                solver.transfer = transfer
                results.append(try FitEngine(backend: OpenCLBackend(solver: solver)).fit(fits.batch, settings: settings))
                let timings = solver.timings.totals
                XCTAssertEqual(timings.bytesWritten, 250 * (4 * (fits.batch.pointCount + 15) + 4), "\(transfer), chunks of \(chunk)")
                XCTAssertEqual(timings.bytesRead, 250 * (4 * 10 + 4 * 4), "\(transfer), chunks of \(chunk)")
            }
        }
        for other in results.dropFirst() {
            XCTAssertEqual(other.parameters, results[0].parameters)
            XCTAssertEqual(other.standardErrors, results[0].standardErrors)
            XCTAssertEqual(other.stateCodes, results[0].stateCodes)
            XCTAssertEqual(other.iterations, results[0].iterations)
        }
    }

    /// A solver reuses its chunk slots for a second batch of the same shape, and what the slots
    /// held before never leaks into the new results: other data, other shared x values.
    func testReusedSlotsFitTheNewBatch() throws {
        for transfer in OpenCLTransfer.allCases {
            var solver = try backend(maximumChunk: 40).solver
            solver.transfer = transfer
            let engine = FitEngine(backend: OpenCLBackend(solver: solver))
            let seed = freshSeed(53)
            let first = try randomFits(.gauss1D, estimator: .leastSquares, count: 70, seed: seed)
            var second = try randomFits(.gauss1D, estimator: .leastSquares, count: 70, seed: seed &+ 1)
            if case let .sharedX(xs) = second.batch.coordinates { second.batch.coordinates = .sharedX(xs.map { $0 * 1.5 + 2 }) }
            _ = try engine.fit(first.batch, settings: FitSettings())
            let reused = try engine.fit(second.batch, settings: FitSettings())
            var freshSolver = try backend(maximumChunk: 40).solver
            freshSolver.transfer = transfer
            let fresh = try FitEngine(backend: OpenCLBackend(solver: freshSolver)).fit(second.batch, settings: FitSettings())
            XCTAssertEqual(reused.parameters, fresh.parameters, "\(transfer)")
            XCTAssertEqual(reused.stateCodes, fresh.stateCodes, "\(transfer)")
            XCTAssertEqual(reused.iterations, fresh.iterations, "\(transfer)")
            XCTAssertEqual(reused.chiSquares, fresh.chiSquares, "\(transfer)")
        }
    }

    /// Robust (sandwich) standard errors, from the kernels' extra pass at the solution, agree with
    /// the reference's (least squares; with fixed parameters too).
    /// Gpufit's convergence rule (`FF_GPUFIT_CONVERGENCE` in the kernels), both strategies,
    /// in float64 so that the iteration counts can be compared with the reference's too.
    func testGpufitConvergenceRuleAgrees() throws {
        for strategy in KernelStrategy.allCases {
            let opencl = try backend(precision: .double, strategy: strategy)
            for model in [ModelID.gauss2D, .cauchy2DElliptic, .gauss1D] {
                for estimator in [Estimator.leastSquares, .poissonMLE] {
                    let seed = freshSeed(UInt64(model.rawValue) &* 211 &+ UInt64(estimator.rawValue) &+ 9)
                    let fits = try randomFits(model, estimator: estimator, count: 101, seed: seed)
                    let settings = FitSettings(estimator: estimator, convergence: .gpufit)
                    let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                    let result = try FitEngine(backend: opencl).fit(fits.batch, settings: settings)
                    let context = "opencl \(strategy) gpufit rule \(model.name) \(estimator) seed \(seed)"
                    assertAgreement(result, reference, fraction: 0.05, context: context)
                    let same = zip(result.iterations, reference.iterations).filter { $0 == $1 }.count
                    XCTAssertGreaterThanOrEqual(same, 96, "\(context): iteration counts differ")
                }
            }
        }
    }

    /// One LM step on a well-conditioned system (condition number 45) equals the reference's in
    /// both strategies and precisions. PoCL 3.1 compiled the kernels' triangular solves under
    /// -cl-unsafe-math-optimizations into a float32 step whose amplitude was 2.39 where float64
    /// gives 1.71 (lm.cl keeps reassociation off there now); the random agreement fits, started
    /// near their optimum, had not shown it.
    func testTheStepMatchesTheReference() throws {
        let batch = FitBatch(model: .gauss1D, fitCount: 3, pointCount: 8, data: (0..<24).map { [0, 0, 1, 2, 3, 5, 2, 0][$0 % 8] },
                             coordinates: .sharedX((0..<8).map(Double.init)),
                             initialParameters: (0..<12).map { [4.654902, 2.9366753, 1.3369626, 0.2921537][$0 % 4] })
        let oneStep = FitSettings(tolerance: 0, maxIterations: 1, convergence: .gpufit)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(batch, settings: oneStep)
        XCTAssertEqual(reference.parameters[0], 1.7089, accuracy: 1e-4, "the float64 step (numpy agrees)")
        for strategy in KernelStrategy.allCases {
            for precision in [FitPrecision.single, .double] {
                let result = try FitEngine(backend: try backend(precision: precision, strategy: strategy)).fit(batch, settings: oneStep)
                for j in 0..<12 {
                    XCTAssertEqual(result.parameters[j], reference.parameters[j], accuracy: 1e-4 * max(1, abs(reference.parameters[j])),
                                   "\(strategy) \(precision) parameter \(j % 4)")
                }
            }
        }
    }

    /// Gpufit's step rules in the kernels (`FF_STOP_ON_NEGATIVE_MODEL`, `FF_ZERO_PIVOT_ONLY`), both
    /// strategies, both precisions: issue 19's example ends in state 3 after one iteration with its
    /// start values, and flat ROIs converge to amplitude 0 on the constant, as in Gpufit.
    func testGpufitStepRulesInTheKernels() throws {
        let example = FitBatch(model: .gauss1D, fitCount: 33, pointCount: 8,
                               data: [Float](repeating: 0, count: 33 * 8).enumerated().map { [0, 0, 1, 5, 9, 4, 1, 0][$0.offset % 8] },
                               coordinates: .sharedX((0..<8).map(Double.init)),
                               initialParameters: (0..<(33 * 4)).map { [8, 4, 1, 0.5][$0 % 4] })
        let flat = FitBatch(model: .gauss2D, fitCount: 5, pointCount: 81, data: [Float](repeating: 37, count: 5 * 81),
                            coordinates: .grid(width: 9, height: 9), initialParameters: (0..<25).map { [100, 4, 4, 1.5, 30][$0 % 5] })
        for strategy in KernelStrategy.allCases {
            for precision in [FitPrecision.single, .double] {
                let opencl = try backend(precision: precision, strategy: strategy)
                let context = "opencl \(strategy) \(precision)"
                let stopped = try FitEngine(backend: opencl).fit(example, settings: FitSettings(estimator: .poissonMLE, convergence: .gpufit))
                for fit in 0..<33 {
                    XCTAssertEqual(stopped.state(fit), .negativeCurvature, context)
                    XCTAssertEqual(stopped.iterations[fit], 1, context)
                    XCTAssertEqual(Array(stopped.parameters[(fit * 4)..<(fit * 4 + 4)]), [8, 4, 1, 0.5], context)
                }
                let level = try FitEngine(backend: opencl).fit(flat, settings: FitSettings(convergence: .gpufit))
                for fit in 0..<5 {
                    XCTAssertEqual(level.state(fit), .converged, context)
                    XCTAssertEqual(level.parameters[fit * 5], 0, accuracy: 1e-3, context)
                    XCTAssertEqual(level.parameters[fit * 5 + 4], 37, accuracy: 1e-3, context)
                }
            }
        }
    }

    func testRobustErrorsAgree() throws {
        let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, robustErrors: true)
        for strategy in KernelStrategy.allCases {
            let opencl = try backend(strategy: strategy)
            for model in [ModelID.gauss2D, .gauss2DElliptic, .gauss1D, .kinetics2] {
                let seed = freshSeed(UInt64(model.rawValue) &+ 101)
                var fits = try randomFits(model, estimator: .leastSquares, count: 60, seed: seed)
                if model == .gauss2DElliptic { fits.batch.parametersToFit = [true, true, true, true, true, false] }
                let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                let plain = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: FitSettings(tolerance: 1e-9, maxIterations: 1000))
                XCTAssertNotEqual(reference.standardErrors, plain.standardErrors, "robust errors differ from curvature errors")
                let result = try FitEngine(backend: opencl).fit(fits.batch, settings: settings)
                assertAgreement(result, reference, fraction: 0.05, context: "opencl \(strategy) robust \(model.name) seed \(seed)")
            }
        }
        XCTAssertEqual(ModelID.allCases.filter { !KernelSource.supports($0) }, [], "every model has a kernel")
    }
}
