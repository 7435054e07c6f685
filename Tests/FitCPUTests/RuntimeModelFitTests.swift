import FitCore
import FitEngine
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// Runtime models through the engine beyond the built-in twins: many parameters (the sums in
/// blocks past nine), start values from data statistics, models that are not finite, released
/// ids, and refusals.
final class RuntimeModelFitTests: XCTestCase {
    func register(_ name: String, _ coordinates: [String], _ parameters: [String], _ expression: String,
                  start: [String: String] = [:], bounds: [String: ClosedRange<Double>] = [:]) throws -> RuntimeModel {
        try ModelDefinition(name: name, coordinates: coordinates, parameters: parameters, expression: expression,
                            start: start, bounds: bounds).compile().register()
    }

    /// 12 parameters (four Gaussian peaks on a curve) and 32 (Gpufit's limit: amplitudes of 32
    /// fixed basis functions): the sums by blocks of four, against the float64 reference,
    /// float32 and float64, both estimators. Starts within 1.5 % (a runtime model's positions
    /// start off by that fraction of their value, up to 1.6 points here, half a peak's width:
    /// at 6 % a peak could start two widths off and wander out of the data).
    func testManyParametersAgreeWithTheReference() throws {
        let peaks = (0..<4).map { "a\($0) * exp(-(t - c\($0))^2 / (2 * w\($0)^2))" }.joined(separator: " + ") + " + 20"
        let fourPeaks = try register("four-peaks", ["t"], (0..<4).flatMap { ["a\($0)", "c\($0)", "w\($0)"] }, peaks)
        let basis = (0..<32).map { "b\($0) * exp(-(t - \(3 * $0))^2 / 8)" }.joined(separator: " + ") + " + 5"
        let thirtyTwo = try register("thirty-two", ["t"], (0..<32).map { "b\($0)" }, basis)
        defer { RuntimeModels.release(fourPeaks.id); RuntimeModels.release(thirtyTwo.id) }
        for (model, points, draw) in [
            (fourPeaks, 120, { (r: inout SeededRandom) -> [Double] in
                (0..<4).flatMap { [r.uniform(300...600), 15 + 30 * Double($0) + r.uniform(-2...2), r.uniform(3...5)] } }),
            (thirtyTwo, 100, { (r: inout SeededRandom) -> [Double] in (0..<32).map { _ in r.uniform(100...300) } }),
        ] {
            for estimator in [Estimator.leastSquares, .poissonMLE] {
                let seed = freshSeed(UInt64(model.parameterCount) &* 17 &+ UInt64(estimator.rawValue))
                let fits = try SyntheticFits.make(model: model.modelID, count: 64, coordinates: .sharedX((0..<points).map(Double.init)),
                                                  pointCount: points, noise: estimator == .poissonMLE ? .poisson : .gaussian(sigma: 8),
                                                  seed: seed, startError: 0.005...0.015, draw: draw)
                let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, estimator: estimator)
                let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                XCTAssertGreaterThan((0..<64).filter { reference.state($0) == .converged }.count, 57, "\(model.descriptor.name) \(estimator) seed \(seed)")
                for precision in [FitPrecision.single, .double] {
                    let fast = try FitEngine(backend: CPUBackend(precision: precision)).fit(fits.batch, settings: settings)
                    assertAgreement(fast, reference, fraction: 0.05, context: "\(model.descriptor.name) \(estimator) \(precision) seed \(seed)")
                }
            }
        }
    }

    /// Start expressions of data statistics: the runtime gauss2d written with gauss2d's own
    /// statistics starts every fit where the built-in gauss2d does, and fits to its results;
    /// curve statistics likewise for gauss1d.
    func testStartExpressionsStartWhereTheBuiltInRuleDoes() throws {
        let grid = try register("start-gauss2d", ["x", "y"], ["amplitude", "x0", "y0", "sigma", "offset"],
                                "amplitude * exp(-((x - x0)^2 + (y - y0)^2) / (2 * sigma^2)) + offset",
                                start: ["amplitude": "amplitude", "x0": "centroid_x", "y0": "centroid_y", "sigma": "rms_width", "offset": "baseline"])
        let curve = try register("start-gauss1d", ["x"], ["amplitude", "x0", "sigma", "offset"],
                                 "amplitude * exp(-(x - x0)^2 / (2 * sigma^2)) + offset",
                                 start: ["amplitude": "amplitude", "x0": "centroid_x", "sigma": "rms_width", "offset": "baseline"])
        defer { RuntimeModels.release(grid.id); RuntimeModels.release(curve.id) }
        for (builtIn, runtime) in [(ModelID.gauss2D, grid), (.gauss1D, curve)] {
            let seed = freshSeed(UInt64(builtIn.rawValue) &+ 0x57a7)
            var fits = try randomFits(builtIn, estimator: .leastSquares, count: 1001, seed: seed)
            fits.batch.initialParameters = nil
            var twin = fits.batch
            twin.model = runtime.modelID
            let settings = FitSettings()
            let expected = try PreparedFits(fits.batch, settings: settings), got = try PreparedFits(twin, settings: settings)
            for i in 0..<expected.start.count {
                XCTAssertEqual(got.start[i], expected.start[i], accuracy: 1e-9 * max(1, abs(expected.start[i])),
                               "\(runtime.descriptor.name): start value \(i) (seed \(seed))")
            }
            let engine = FitEngine(backend: CPUBackend())
            assertRuntimeTwins(try engine.fit(twin, settings: settings), try engine.fit(fits.batch, settings: settings),
                               context: "\(runtime.descriptor.name) from its own starts, seed \(seed)")
        }
        // Every statistic on a known curve: 1, 5, 2, 4 at x = 10, 20, 30, 40.
        let data: [Float] = [1, 5, 2, 4]
        let values = data.withUnsafeBufferPointer {
            DataStatistic.values([.min, .max, .mean, .sum, .first, .last, .argmaxT], data: $0, usable: [0, 1, 2, 3],
                                 coordinates: .sharedX([10, 20, 30, 40]), fit: 0)
        }
        XCTAssertEqual(values, [1, 5, 3, 12, 1, 4, 20])
    }

    /// A model that is NaN or infinite at its start values ends in `nonFiniteModel` (7) with its
    /// start values and NaN errors, on the SIMD backend and the reference alike, fit by fit; one
    /// that divides by zero along the way rejects that step and goes on.
    func testModelsThatAreNotFiniteGetTheirOwnState() throws {
        let logarithm = try register("log-curve", ["t"], ["a", "t0", "b"], "a * log(t - t0) + b")
        defer { RuntimeModels.release(logarithm.id) }
        let x = (1...40).map(Double.init)
        var fits = try SyntheticFits.make(model: logarithm.modelID, count: 40, coordinates: .sharedX(x), pointCount: 40,
                                          noise: .gaussian(sigma: 0.5), seed: freshSeed(0x1067), startError: 0.01...0.02) { r in
            [r.uniform(20...40), r.uniform(-5...(-1)), r.uniform(5...10)]
        }
        // Every other fit starts with t0 past the first points: log of a negative number there.
        for fit in stride(from: 0, to: 40, by: 2) { fits.batch.initialParameters![fit * 3 + 1] = 5 }
        let settings = FitSettings(tolerance: 1e-6, maxIterations: 100)
        for backend in [CPUBackend(precision: .single), CPUBackend(precision: .double)] as [any FitBackend] + [ReferenceBackend()] {
            let results = try FitEngine(backend: backend).fit(fits.batch, settings: settings)
            for fit in 0..<40 {
                if fit % 2 == 0 {
                    XCTAssertEqual(results.state(fit), .nonFiniteModel, "\(backend.name) \(backend.precision) fit \(fit)")
                    XCTAssertEqual(results.parameters[fit * 3 + 1], 5, "start values back")
                    XCTAssertTrue(results.standardErrors[fit * 3 + 1].isNaN)
                } else {
                    // Steps toward t0 >= 1 meet the log of zero or less: rejected, and the fit converges.
                    XCTAssertEqual(results.state(fit), .converged, "\(backend.name) \(backend.precision) fit \(fit)")
                }
            }
        }
    }

    /// A released id: new batches are refused by name; a batch prepared before the release
    /// still fits (it holds its model); built-in ids are never runtime ids.
    func testReleasedModels() throws {
        let line = try register("released-line", ["x"], ["a", "b"], "a + b * x")
        let fits = try SyntheticFits.make(model: line.modelID, count: 20, coordinates: .sharedX((0..<10).map(Double.init)), pointCount: 10,
                                          noise: .gaussian(sigma: 1), seed: freshSeed(0x4e1), startError: 0.05...0.1) { r in
            [r.uniform(5...10), r.uniform(1...2)]
        }
        let prepared = try PreparedFits(fits.batch, settings: FitSettings())
        XCTAssertTrue(RuntimeModels.release(line.id))
        XCTAssertFalse(RuntimeModels.release(line.id), "released twice")
        XCTAssertThrowsError(try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: FitSettings())) { error in
            XCTAssertTrue("\(error)".contains("released-line") && "\(error)".contains("was released"), "\(error)")
        }
        var results = FitResults(unwrittenFor: prepared.model, fitCount: 20)
        try CPUBackend().solve(prepared, into: &results)
        XCTAssertEqual((0..<20).filter { results.state($0) == .converged }.count, 20)
        XCTAssertEqual(line.modelID.name, "released-line", "the descriptor stays for messages")
        XCTAssertNil(ModelID(rawValue: line.id).flatMap { $0.runtimeModel })
        XCTAssertTrue(ModelID.allCases.allSatisfy { !$0.isRuntime && $0.rawValue < RuntimeModels.firstID })
        XCTAssertGreaterThanOrEqual(line.descriptor.cID, 10_000, "the C API's runtime ids from 10000, apart from the built-in 1000-1114")
    }

    /// A batch without start values of a model whose start expressions do not cover every
    /// parameter is refused, naming those parameters.
    func testMissingStartsAreNamed() throws {
        let model = try register("half-started", ["t"], ["a", "tau", "b"], "a * exp(-t / tau) + b", start: ["b": "min"])
        defer { RuntimeModels.release(model.id) }
        let batch = FitBatch(model: model.modelID, fitCount: 1, pointCount: 3, data: [3, 2, 1], coordinates: .sharedX([0, 1, 2]))
        XCTAssertThrowsError(try FitEngine(backend: CPUBackend()).fit(batch, settings: FitSettings())) { error in
            XCTAssertTrue("\(error)".contains("no start expression for a, tau"), "\(error)")
        }
    }
}
