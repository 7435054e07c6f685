import FitCore
import FitEngine
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// Runtime models written as the built-in gauss2d, gauss2d-elliptic, gauss1d, linear1d and
/// kinetics1 are: on the same data from the same starts they give the built-in models' results
/// (parameters within 1e-4 relative or 0.05 standard errors, the same states, iterations within
/// one but for float32's rounding at the tolerance in at most 1 % of fits), on the SIMD backend in float32 and float64, least squares and Poisson MLE; and the
/// float64 reference runs them too, holding the SIMD backend's runtime fits to the usual rule.
final class RuntimeTwinTests: XCTestCase {
    func checkTwins(precision: FitPrecision, estimators: [Estimator] = [.leastSquares, .poissonMLE], count: Int) throws {
        for (builtIn, definition) in RuntimeTwins.all {
            for estimator in estimators {
                let seed = freshSeed(UInt64(builtIn.rawValue) &* 131 &+ UInt64(estimator.rawValue))
                let fits = try randomFits(builtIn, estimator: estimator, count: count, seed: seed)
                let (twin, runtime) = try RuntimeTwins.batch(definition, fits.batch)
                defer { RuntimeModels.release(runtime.id) }
                let settings = FitSettings(tolerance: 1e-4, maxIterations: 200, estimator: estimator)
                let engine = FitEngine(backend: CPUBackend(precision: precision))
                let expected = try engine.fit(fits.batch, settings: settings)
                let got = try engine.fit(twin, settings: settings)
                assertRuntimeTwins(got, expected, context: "\(definition.name) \(estimator) \(precision) seed \(seed)")
            }
        }
    }

    func testTwinsAgreeInSinglePrecision() throws { try checkTwins(precision: .single, count: 200) }

    func testTwinsAgreeInDoublePrecision() throws { try checkTwins(precision: .double, count: 100) }

    /// The float64 reference runs runtime models, and holds the SIMD backend's runtime fits to the
    /// agreement rule every built-in model is held to (`BackendAgreementTests`), weighted too.
    func testTheReferenceRunsRuntimeModels() throws {
        for (builtIn, definition) in RuntimeTwins.all {
            for estimator in [Estimator.leastSquares, .poissonMLE] {
                let seed = freshSeed(UInt64(builtIn.rawValue) &* 577 &+ UInt64(estimator.rawValue))
                var fits = try randomFits(builtIn, estimator: estimator, count: 100, seed: seed)
                if estimator == .leastSquares {
                    var random = SeededRandom(seed: seed ^ 0x5EED)
                    let n = fits.batch.pointCount
                    var weights = (0..<fits.batch.data.count).map { _ in Float(random.uniform(0.5...2)) }
                    for fit in 0..<100 { weights[fit * n + fit % n] = 0; fits.batch.data[fit * n + fit % n] = .nan }
                    fits.batch.weights = weights
                }
                let (twin, runtime) = try RuntimeTwins.batch(definition, fits.batch)
                defer { RuntimeModels.release(runtime.id) }
                let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, estimator: estimator,
                                           weightsAreInverseVariances: estimator == .poissonMLE)
                let reference = try FitEngine(backend: ReferenceBackend()).fit(twin, settings: settings)
                let fast = try FitEngine(backend: CPUBackend(precision: .single)).fit(twin, settings: settings)
                assertAgreement(fast, reference, fraction: 0.05, context: "\(definition.name) \(estimator) seed \(seed)")
                // And the reference's runtime fits are the built-in reference's.
                let builtInReference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                assertRuntimeTwins(reference, builtInReference, context: "reference \(definition.name) \(estimator) seed \(seed)")
            }
        }
    }
}
