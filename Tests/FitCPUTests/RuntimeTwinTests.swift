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
    /// The runtime twin of each built-in model, with the built-in's parameter names.
    static let twins: [(ModelID, ModelDefinition)] = [
        (.gauss2D, ModelDefinition(name: "twin-gauss2d", coordinates: ["x", "y"], parameters: ["amplitude", "x0", "y0", "sigma", "offset"],
                                   expression: "amplitude * exp(-((x - x0)^2 + (y - y0)^2) / (2 * sigma^2)) + offset")),
        (.gauss2DElliptic, ModelDefinition(name: "twin-gauss2d-elliptic", coordinates: ["x", "y"],
                                           parameters: ["amplitude", "x0", "y0", "sigma_x", "sigma_y", "offset"],
                                           expression: "amplitude * exp(-(x - x0)^2 / (2 * sigma_x^2) - (y - y0)^2 / (2 * sigma_y^2)) + offset")),
        (.gauss1D, ModelDefinition(name: "twin-gauss1d", coordinates: ["x"], parameters: ["amplitude", "x0", "sigma", "offset"],
                                   expression: "amplitude * exp(-(x - x0)^2 / (2 * sigma^2)) + offset")),
        (.linear1D, ModelDefinition(name: "twin-linear1d", coordinates: ["x"], parameters: ["offset", "slope"], expression: "offset + slope * x")),
        (.kinetics1, ModelDefinition(name: "twin-kinetics1", coordinates: ["t"],
                                     parameters: ["amplitude_1", "tau_1", "t0", "irf_sigma", "offset"],
                                     expression: kinetics1Expression)),
    ]

    /// kinetics1 as the built-in writes it (`KineticsModel`): exp(a) (1 + erf u) with every
    /// exponential's argument <= 0 where it is used, through erfcx:
    /// exp(a) erf(max(u, 0)) + exp(a - min(u, 0)^2) erfcx(-min(u, 0)), which is exp(a) (1 + erf u)
    /// on both sides of u = 0 (erfc(-u) = erfc(-max(u, 0)) + erfc(-min(u, 0)) - 1), with exp(a)
    /// capped at 1 where it multiplies erf(0) = 0.
    static let kinetics1Expression = """
        amplitude_1 / 2 * (exp(min(-(t - t0) / tau_1 + irf_sigma^2 / (2 * tau_1^2), 0)) * erf(max((t - t0) / (sqrt(2) * irf_sigma) - irf_sigma / (sqrt(2) * tau_1), 0)) \
        + exp(-(t - t0) / tau_1 + irf_sigma^2 / (2 * tau_1^2) - min((t - t0) / (sqrt(2) * irf_sigma) - irf_sigma / (sqrt(2) * tau_1), 0)^2) \
        * erfcx(-min((t - t0) / (sqrt(2) * irf_sigma) - irf_sigma / (sqrt(2) * tau_1), 0))) + offset
        """

    func twinBatch(_ definition: ModelDefinition, _ batch: FitBatch) throws -> (FitBatch, RuntimeModel) {
        let runtime = try definition.compile().register()
        var twin = batch
        twin.model = runtime.modelID
        return (twin, runtime)
    }

    func assertTwins(_ runtime: FitResults, _ builtIn: FitResults, context: String) {
        let p = builtIn.parameterCount
        let signFree = builtIn.model.signFreeWidths
        var problems: [String] = [], iterationDifferences: [String] = []
        for fit in 0..<builtIn.fitCount {
            if runtime.stateCodes[fit] != builtIn.stateCodes[fit] {
                problems.append("fit \(fit): state \(runtime.stateCodes[fit]) vs built-in \(builtIn.stateCodes[fit])"); continue
            }
            guard builtIn.state(fit) != .invalidInput else { continue }
            if abs(runtime.iterations[fit] - builtIn.iterations[fit]) > 1 {
                iterationDifferences.append("fit \(fit): \(runtime.iterations[fit]) iterations vs built-in \(builtIn.iterations[fit])")
            }
            for j in 0..<p {
                var a = runtime.parameters[fit * p + j]
                if signFree.contains(j) { a = abs(a) }
                let b = builtIn.parameters[fit * p + j], se = builtIn.standardErrors[fit * p + j]
                let close = abs(a - b) <= 1e-4 * abs(b) || (se.isFinite && abs(a - b) <= 0.05 * se)
                if !close { problems.append("fit \(fit) \(builtIn.model.parameterNames[j]): \(a) vs built-in \(b) (se \(se))") }
            }
        }
        XCTAssertTrue(problems.isEmpty, "\(context): \(problems.count) differences; first: \(problems.prefix(3).joined(separator: "; "))")
        // Iterations within one, but for at most 1 % of the fits: where chi^2's last change sits
        // at the tolerance, float32's rounding (different sums in a different order) decides
        // whether the fit stops now or two steps on, at the same parameters (checked above).
        XCTAssertLessThanOrEqual(iterationDifferences.count, max(1, builtIn.fitCount / 100),
                                 "\(context): iterations differ by more than one; first: \(iterationDifferences.prefix(3).joined(separator: "; "))")
    }

    func checkTwins(precision: FitPrecision, estimators: [Estimator] = [.leastSquares, .poissonMLE], count: Int) throws {
        for (builtIn, definition) in Self.twins {
            for estimator in estimators {
                let seed = freshSeed(UInt64(builtIn.rawValue) &* 131 &+ UInt64(estimator.rawValue))
                let fits = try randomFits(builtIn, estimator: estimator, count: count, seed: seed)
                let (twin, runtime) = try twinBatch(definition, fits.batch)
                defer { RuntimeModels.release(runtime.id) }
                let settings = FitSettings(tolerance: 1e-4, maxIterations: 200, estimator: estimator)
                let engine = FitEngine(backend: CPUBackend(precision: precision))
                let expected = try engine.fit(fits.batch, settings: settings)
                let got = try engine.fit(twin, settings: settings)
                assertTwins(got, expected, context: "\(definition.name) \(estimator) \(precision) seed \(seed)")
            }
        }
    }

    func testTwinsAgreeInSinglePrecision() throws { try checkTwins(precision: .single, count: 200) }

    func testTwinsAgreeInDoublePrecision() throws { try checkTwins(precision: .double, count: 100) }

    /// The float64 reference runs runtime models, and holds the SIMD backend's runtime fits to the
    /// agreement rule every built-in model is held to (`BackendAgreementTests`), weighted too.
    func testTheReferenceRunsRuntimeModels() throws {
        for (builtIn, definition) in Self.twins {
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
                let (twin, runtime) = try twinBatch(definition, fits.batch)
                defer { RuntimeModels.release(runtime.id) }
                let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, estimator: estimator,
                                           weightsAreInverseVariances: estimator == .poissonMLE)
                let reference = try FitEngine(backend: ReferenceBackend()).fit(twin, settings: settings)
                let fast = try FitEngine(backend: CPUBackend(precision: .single)).fit(twin, settings: settings)
                assertAgreement(fast, reference, fraction: 0.05, context: "\(definition.name) \(estimator) seed \(seed)")
                // And the reference's runtime fits are the built-in reference's.
                let builtInReference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                assertTwins(reference, builtInReference, context: "reference \(definition.name) \(estimator) seed \(seed)")
            }
        }
    }
}
