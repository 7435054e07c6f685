import FitCore
import FitEngine
import XCTest
import FemtofitTestSupport

/// `ConvergenceRule.gpufit`, which the Gpufit-compatible C entry points use: Gpufit's test
/// |chi^2_new - chi^2_old| < tol x max(1, chi^2_new) after any iteration, in every solver.
final class GpufitConvergenceTests: XCTestCase {
    static let gpufitModels: [ModelID] = [.gauss1D, .gauss2D, .gauss2DElliptic, .gauss2DRotated, .cauchy2DElliptic, .linear1D,
                                          .fletcherPowellHelix, .brownDennis]

    func testTheRuleAsGpufitWritesIt() {
        // Relative to max(1, new chi^2), not to the old chi^2 with femtofit's floor.
        XCTAssertTrue(ConvergenceTest.changeIsSmall(trial: 0.5, current: 0.50009, tolerance: 1e-4, floor: 0, rule: .gpufit))
        XCTAssertFalse(ConvergenceTest.changeIsSmall(trial: 0.5, current: 0.50009, tolerance: 1e-4, floor: 0, rule: .relative))
        XCTAssertTrue(ConvergenceTest.changeIsSmall(trial: 1000, current: 1000.09, tolerance: 1e-4, floor: 0, rule: .gpufit))
        XCTAssertFalse(ConvergenceTest.changeIsSmall(trial: 1000, current: 1000.11, tolerance: 1e-4, floor: 0, rule: .gpufit))
        XCTAssertFalse(ConvergenceTest.changeIsSmall(trial: .infinity, current: 3, tolerance: 1e-4, floor: 0, rule: .gpufit))
        // Any small change ends a Gpufit fit, a rejected step's too.
        XCTAssertTrue(ConvergenceTest.hasConverged(changeIsSmall: true, accepted: false, previousChangeWasSmall: false, rule: .gpufit))
        XCTAssertFalse(ConvergenceTest.hasConverged(changeIsSmall: true, accepted: false, previousChangeWasSmall: false, rule: .relative))
        XCTAssertEqual(FitSettings().convergence, .relative)
    }

    /// The SIMD backend under Gpufit's rule against the reference under it, for Gpufit's models:
    /// the same states, the same iteration counts for almost every fit, parameters within 0.05 SE.
    func testTheSIMDBackendFollowsTheRuleAsTheReferenceDoes() throws {
        for model in Self.gpufitModels {
            for estimator in [Estimator.leastSquares, .poissonMLE] {
                let seed = freshSeed(UInt64(model.rawValue) &* 7919 &+ UInt64(estimator.rawValue) &+ 3)
                let fits = try randomFits(model, estimator: estimator, count: 200, seed: seed)
                let settings = FitSettings(estimator: estimator, convergence: .gpufit)
                let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
                let fast = try FitEngine(backend: CPUBackend(precision: .double)).fit(fits.batch, settings: settings)
                let context = "\(model.name) \(estimator) gpufit rule, seed \(seed)"
                assertAgreement(fast, reference, fraction: 0.05, context: context)
                let sameIterations = zip(fast.iterations, reference.iterations).filter { $0 == $1 }.count
                XCTAssertGreaterThanOrEqual(sameIterations, 190, "\(context): iteration counts differ")
            }
        }
    }

    /// Why femtofit's own API does not use Gpufit's rule: unweighted data in small units (dT/T ~
    /// 1e-3, so chi^2 << 1) change chi^2 by less than tol x 1 at the first step, and Gpufit's rule
    /// stops there, far from the minimum; femtofit's relative rule goes on to it.
    func testGpufitsRuleStopsUnweightedSmallUnitFitsAfterOneStep() throws {
        let seed = freshSeed(0x6F17)
        var fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 100, seed: seed)
        fits.batch.data = fits.batch.data.map { $0 * 1e-6 }  // counts -> dT/T-like values
        fits.batch.initialParameters = fits.batch.initialParameters.map { start in
            start.enumerated().map { $0.offset % 5 == 0 || $0.offset % 5 == 4 ? $0.element * 1e-6 : $0.element }
        }
        let engine = FitEngine(backend: ReferenceBackend())
        let gpufit = try engine.fit(fits.batch, settings: FitSettings(convergence: .gpufit))
        let relative = try engine.fit(fits.batch, settings: FitSettings())
        XCTAssertEqual(Set(gpufit.iterations), [1], "seed \(seed)")
        XCTAssertEqual(Set(gpufit.stateCodes), [FitState.converged.rawValue])
        XCTAssertGreaterThan(relative.iterations.map(Int.init).reduce(0, +), 2 * 100, "seed \(seed)")
        let lower = zip(relative.chiSquares, gpufit.chiSquares).filter { $0 < $1 }.count
        XCTAssertGreaterThan(lower, 80, "the relative rule reaches a lower chi^2 (seed \(seed))")
    }
}
