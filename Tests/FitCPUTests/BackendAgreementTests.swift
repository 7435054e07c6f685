import FitCore
import FitEngine
import XCTest
import FemtofitTestSupport

/// Every model and estimator, on fresh random inputs: the SIMD backend in float32 (and float64)
/// against the float64 reference, parameters within 0.05 standard errors and the same state.
final class BackendAgreementTests: XCTestCase {
    func check(_ model: ModelID, _ estimator: Estimator, precision: FitPrecision, count: Int = 300, weighted: Bool = false) throws {
        let seed = freshSeed(UInt64(model.rawValue) &* 977 &+ UInt64(estimator.rawValue) &+ (weighted ? 7 : 0))
        var fits = try randomFits(model, estimator: estimator, count: count, seed: seed)
        if weighted {
            // Random weights in [0.5, 2], and one masked point (weight 0, NaN data) per fit.
            var random = SeededRandom(seed: seed ^ 0x5EED)
            let n = fits.batch.data.count / count
            var weights = (0..<fits.batch.data.count).map { _ in Float(random.uniform(0.5...2)) }
            for fit in 0..<count { weights[fit * n + fit % n] = 0; fits.batch.data[fit * n + fit % n] = .nan }
            fits.batch.weights = weights
        }
        // A tight tolerance takes both solvers to the minimum itself: with a loose one each stops
        // wherever progress along a flat valley slows, and those places differ between float32
        // and float64 by more than the agreement allows.
        // Random weights are relative, not inverse variances (the noise's sigma is 8): the errors
        // then scale with the residuals, as the agreement rule's unit needs. Taken as inverse
        // variances they came out 8x too small, and float32's rounding (5e-5 px) reached 0.066 of
        // one (CI at 8241a51, seed 6103175106019757648).
        let settings = FitSettings(tolerance: 1e-9, maxIterations: 1000, estimator: estimator,
                                   weightsAreInverseVariances: !weighted)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
        let fast = try FitEngine(backend: CPUBackend(precision: precision)).fit(fits.batch, settings: settings)
        let converged = (0..<count).filter { reference.state($0) == .converged }.count
        XCTAssertGreaterThan(converged, count * 9 / 10, "\(model.name) \(estimator): most reference fits should converge (seed \(seed))")
        assertAgreement(fast, reference, fraction: 0.05,
                        context: "\(model.name) \(estimator) \(precision)\(weighted ? " weighted" : "") seed \(seed)")
    }

    /// Weighted fits take their own point loops (weighted least squares, and the MLE loop that
    /// unweighted MLE fits share with weights of 1): a grid and two curve models, both estimators.
    func testWeightedFitsAgree() throws {
        for model in [ModelID.gauss2D, .gauss1D, .kinetics2] {
            try check(model, .leastSquares, precision: .single, weighted: true)
            try check(model, .poissonMLE, precision: .single, weighted: true)
        }
    }

    func testEveryModelSinglePrecisionLSE() throws {
        for model in ModelID.allCases { try check(model, .leastSquares, precision: .single) }
    }

    func testEveryModelSinglePrecisionMLE() throws {
        for model in ModelID.allCases { try check(model, .poissonMLE, precision: .single) }
    }

    func testEveryModelDoublePrecision() throws {
        for model in ModelID.allCases {
            try check(model, .leastSquares, precision: .double, count: 100)
            try check(model, .poissonMLE, precision: .double, count: 100)
        }
    }

    /// At the default settings (tolerance 1e-4, 20 iterations: what most users run) the fits stop
    /// short of the exact minimum, yet within the agreement rule in both precisions (the iteration
    /// count differs for ~20 % of Gaussian fits, whose last change sits near the threshold). Kinetics
    /// need more than 20 iterations from these starts, so they are held to the rule at the minimum
    /// (above) instead.
    func testDefaultSettingsAgree() throws {
        // The Fletcher-Powell helix is a curved valley: from these starts 20 iterations at 1e-4
        // stop partway along it, where float32 and float64 part (chi^2 1.8 vs 4.2); it is held at
        // the minimum above, as the kinetics are.
        for model in ModelID.allCases where model.exponentialCount == 0 && model != .fletcherPowellHelix {
            for estimator in [Estimator.leastSquares, .poissonMLE] {
                let seed = freshSeed(UInt64(model.rawValue) &* 31 &+ UInt64(estimator.rawValue) &+ 5)
                let fits = try randomFits(model, estimator: estimator, count: 300, seed: seed)
                let settings = FitSettings(estimator: estimator)
                let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                let fast = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: settings)
                assertAgreement(fast, reference, fraction: 0.05, context: "\(model.name) \(estimator) defaults, seed \(seed)")
            }
        }
    }

    /// Curves whose x values differ from fit to fit (Gpufit users ask for per-fit coordinates).
    func testPerFitXValues() throws {
        let seed = freshSeed(99)
        var random = SeededRandom(seed: seed)
        let count = 200, points = 30
        var xs = [Float](repeating: 0, count: count * points)
        for fit in 0..<count {
            let start = random.uniform(-6 ... -4), step = random.uniform(0.4...0.6)  // x spans the whole peak
            for k in 0..<points { xs[fit * points + k] = Float(start + step * Double(k) + random.uniform(-0.1...0.1)) }
        }
        let fits = try SyntheticFits.make(model: .gauss1D, count: count, coordinates: .perFitX(xs), pointCount: points,
                                          noise: .gaussian(sigma: 5), seed: seed, startError: 0.05...0.1) { r in
            [r.uniform(300...600), r.uniform(2...4), r.uniform(1.5...2.5), r.uniform(10...30)]
        }
        let settings = FitSettings(tolerance: 1e-6, maxIterations: 200)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
        let fast = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: settings)
        assertAgreement(fast, reference, fraction: 0.05, context: "gauss1d per-fit x, seed \(seed)")
        let converged = (0..<count).filter { fast.state($0) == .converged }.count
        XCTAssertGreaterThan(converged, count * 95 / 100, "per-fit x fits converge")
    }

    /// Robust (sandwich) standard errors: the SIMD backend against the reference.
    func testRobustErrorsAgree() throws {
        let seed = freshSeed(123)
        for model in [ModelID.gauss2D, .gauss2DElliptic, .kinetics2] {
            var fits = try randomFits(model, estimator: .leastSquares, count: 100, seed: seed)
            let settings = FitSettings(tolerance: 1e-6, maxIterations: 200, robustErrors: true)
            let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
            let fast = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: settings)
            assertAgreement(fast, reference, fraction: 0.05, context: "\(model.name) robust, seed \(seed)")
            fits.batch.parametersToFit = (0..<model.parameterCount).map { $0 != 0 }
            let fixedReference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
            let fixedFast = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: settings)
            for fit in 0..<100 where reference.state(fit) == .converged {
                for j in 0..<model.parameterCount {
                    let a = fast.standardErrors[fit * model.parameterCount + j], b = reference.standardErrors[fit * model.parameterCount + j]
                    XCTAssertEqual(a, b, accuracy: 0.01 * b, "\(model.name) fit \(fit) robust error \(j), seed \(seed)")
                }
                XCTAssertEqual(fixedFast.standardErrors[fit * model.parameterCount], 0)
                XCTAssertEqual(fixedReference.standardErrors[fit * model.parameterCount], 0)
            }
        }
        // Weighted fits (random inverse variances, one masked point per fit): the sandwich through
        // the weighted loop, which also serves unweighted fits with weights of 1.
        var weighted = try randomFits(.gauss2DElliptic, estimator: .leastSquares, count: 100, seed: seed &+ 1)
        var random = SeededRandom(seed: seed &+ 2)
        var weights = (0..<weighted.batch.data.count).map { _ in Float(random.uniform(0.5...2)) }
        for fit in 0..<100 { weights[fit * 225 + (fit % 225)] = 0 }
        weighted.batch.weights = weights
        let settings = FitSettings(tolerance: 1e-6, maxIterations: 200, weightsAreInverseVariances: false, robustErrors: true)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(weighted.batch, settings: settings)
        let fast = try FitEngine(backend: CPUBackend()).fit(weighted.batch, settings: settings)
        assertAgreement(fast, reference, fraction: 0.05, context: "weighted gauss2d-elliptic robust, seed \(seed)")
        for fit in 0..<100 where reference.state(fit) == .converged {
            for j in 0..<6 {
                let a = fast.standardErrors[fit * 6 + j], b = reference.standardErrors[fit * 6 + j]
                XCTAssertEqual(a, b, accuracy: 0.01 * b, "weighted fit \(fit) robust error \(j), seed \(seed)")
            }
        }
        XCTAssertThrowsError(try FitEngine().fit(try randomFits(.gauss2D, estimator: .poissonMLE, count: 2, seed: 1).batch,
                                                 settings: FitSettings(estimator: .poissonMLE, robustErrors: true)))
    }
}
