import FitCore
import FitEngine
import FitOpenCL
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// Runtime models on the OpenCL backend (PoCL here): the built-in twins give the built-in
/// models' results with both kernel strategies, float32 and float64, both estimators; many
/// parameters and weights agree with the float64 reference; a model not finite at its start
/// gets the CPU's state.
final class RuntimeModelOpenCLTests: XCTestCase {
    func backend(_ precision: FitPrecision = .single, _ strategy: KernelStrategy = .perItem) throws -> OpenCLBackend {
        try OpenCLBackend(device: nil, precision: precision, strategy: strategy)
    }

    func testTwinsAgreeWithTheBuiltInModels() throws {
        for (precision, strategy) in [(FitPrecision.single, KernelStrategy.perItem), (.single, .perGroup), (.double, .perItem)] {
            let engine = FitEngine(backend: try backend(precision, strategy))
            for (builtIn, definition) in RuntimeTwins.all {
                for estimator in [Estimator.leastSquares, .poissonMLE] {
                    let seed = freshSeed(UInt64(builtIn.rawValue) &* 313 &+ UInt64(estimator.rawValue))
                    let fits = try randomFits(builtIn, estimator: estimator, count: precision == .single ? 1001 : 101, seed: seed)
                    let (twin, runtime) = try RuntimeTwins.batch(definition, fits.batch)
                    defer { RuntimeModels.release(runtime.id) }
                    let settings = FitSettings(tolerance: 1e-4, maxIterations: 200, estimator: estimator)
                    assertRuntimeTwins(try engine.fit(twin, settings: settings), try engine.fit(fits.batch, settings: settings),
                                       context: "opencl \(precision) \(strategy) \(definition.name) \(estimator) seed \(seed)")
                }
            }
        }
    }

    /// Fixed parameters and bounds reach the kernels for a runtime model as for a built-in one.
    func testFixedParametersAndBounds() throws {
        let (builtIn, definition) = RuntimeTwins.all[0]
        let seed = freshSeed(0xF1EE)
        var fits = try randomFits(builtIn, estimator: .leastSquares, count: 101, seed: seed)
        fits.batch.parametersToFit = [true, true, true, true, false]
        var upper = [Double](repeating: .infinity, count: 101 * 5)
        for fit in 0..<101 { upper[fit * 5 + 3] = 1.9 }
        fits.batch.upperBounds = upper
        let (twin, runtime) = try RuntimeTwins.batch(definition, fits.batch)
        defer { RuntimeModels.release(runtime.id) }
        let settings = FitSettings(tolerance: 1e-4, maxIterations: 200)
        for strategy in KernelStrategy.allCases {
            let engine = FitEngine(backend: try backend(.double, strategy))
            let expected = try engine.fit(fits.batch, settings: settings)
            XCTAssertGreaterThan((0..<101).filter { expected.state($0) == .atBound }.count, 5, "\(strategy): some fits end on the bound")
            assertRuntimeTwins(try engine.fit(twin, settings: settings), expected, context: "opencl \(strategy) fixed and bounded, seed \(seed)")
        }
    }

    /// Weighted fits and 12 parameters, both strategies, against the float64 reference.
    func testRuntimeModelsAgreeWithTheReference() throws {
        let peaks = (0..<4).map { "a\($0) * exp(-(t - c\($0))^2 / (2 * w\($0)^2))" }.joined(separator: " + ") + " + 20"
        let fourPeaks = try ModelDefinition(name: "opencl-four-peaks", coordinates: ["t"],
                                            parameters: (0..<4).flatMap { ["a\($0)", "c\($0)", "w\($0)"] }, expression: peaks).compile().register()
        defer { RuntimeModels.release(fourPeaks.id) }
        let seed = freshSeed(0x0c1)
        var fits = try SyntheticFits.make(model: fourPeaks.modelID, count: 65, coordinates: .sharedX((0..<120).map(Double.init)), pointCount: 120,
                                          noise: .gaussian(sigma: 8), seed: seed, startError: 0.005...0.015) { r in
            (0..<4).flatMap { [r.uniform(300...600), 15 + 30 * Double($0) + r.uniform(-2...2), r.uniform(3...5)] }
        }
        var random = SeededRandom(seed: seed ^ 0x5EED)
        var weights = (0..<fits.batch.data.count).map { _ in Float(random.uniform(0.5...2)) }
        for fit in 0..<65 { weights[fit * 120 + fit] = 0; fits.batch.data[fit * 120 + fit] = .nan }
        fits.batch.weights = weights
        let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, weightsAreInverseVariances: false)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
        for strategy in KernelStrategy.allCases {
            let result = try FitEngine(backend: try backend(.single, strategy)).fit(fits.batch, settings: settings)
            assertAgreement(result, reference, fraction: 0.05, context: "opencl \(strategy) four peaks weighted, seed \(seed)")
        }
    }

    /// 32 parameters, Gpufit's limit: the per-group kernel's sums (562 per work-item) fit in
    /// local memory because the work-group shrinks (`OpenCLSolver.effectiveGroupSize`).
    func testThirtyTwoParametersWithBothStrategies() throws {
        let basis = (0..<32).map { "b\($0) * exp(-(t - \(3 * $0))^2 / 8)" }.joined(separator: " + ") + " + 5"
        let model = try ModelDefinition(name: "opencl-thirty-two", coordinates: ["t"], parameters: (0..<32).map { "b\($0)" },
                                        expression: basis).compile().register()
        defer { RuntimeModels.release(model.id) }
        let seed = freshSeed(0x32)
        let fits = try SyntheticFits.make(model: model.modelID, count: 33, coordinates: .sharedX((0..<100).map(Double.init)), pointCount: 100,
                                          noise: .gaussian(sigma: 8), seed: seed, startError: 0.005...0.015) { r in
            (0..<32).map { _ in r.uniform(100...300) }
        }
        let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
        for strategy in KernelStrategy.allCases {
            let result = try FitEngine(backend: try backend(.single, strategy)).fit(fits.batch, settings: settings)
            assertAgreement(result, reference, fraction: 0.05, context: "opencl \(strategy) 32 parameters, seed \(seed)")
        }
    }

    func testModelsNotFiniteAtTheirStartGetTheirOwnState() throws {
        let logarithm = try ModelDefinition(name: "opencl-log-curve", coordinates: ["t"], parameters: ["a", "t0", "b"],
                                            expression: "a * log(t - t0) + b").compile().register()
        defer { RuntimeModels.release(logarithm.id) }
        var fits = try SyntheticFits.make(model: logarithm.modelID, count: 40, coordinates: .sharedX((1...40).map(Double.init)), pointCount: 40,
                                          noise: .gaussian(sigma: 0.5), seed: freshSeed(0x1068), startError: 0.01...0.02) { r in
            [r.uniform(20...40), r.uniform(-5...(-1)), r.uniform(5...10)]
        }
        for fit in stride(from: 0, to: 40, by: 2) { fits.batch.initialParameters![fit * 3 + 1] = 5 }
        let settings = FitSettings(tolerance: 1e-6, maxIterations: 100)
        let cpu = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: settings)
        for strategy in KernelStrategy.allCases {
            let results = try FitEngine(backend: try backend(.single, strategy)).fit(fits.batch, settings: settings)
            for fit in 0..<40 {
                XCTAssertEqual(results.state(fit), cpu.state(fit), "\(strategy) fit \(fit)")
                if fit % 2 == 0 { XCTAssertEqual(results.state(fit), .nonFiniteModel, "\(strategy) fit \(fit)") }
            }
        }
    }
}
