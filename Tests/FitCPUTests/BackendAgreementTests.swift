import FitCore
import FitEngine
import XCTest
import FemtofitTestSupport

/// Every model and estimator, on fresh random inputs: the SIMD backend in float32 (and float64)
/// against the float64 reference, parameters within 0.05 standard errors and the same state.
final class BackendAgreementTests: XCTestCase {
    func check(_ model: ModelID, _ estimator: Estimator, precision: FitPrecision, count: Int = 300) throws {
        let seed = freshSeed(UInt64(model.rawValue) &* 977 &+ UInt64(estimator.rawValue))
        let fits = try randomFits(model, estimator: estimator, count: count, seed: seed)
        let settings = FitSettings(tolerance: 1e-6, maxIterations: 200, estimator: estimator)
        let reference = try FitEngine(backend: ReferenceBackend()).fit(fits.batch, settings: settings)
        let fast = try FitEngine(backend: CPUBackend(precision: precision)).fit(fits.batch, settings: settings)
        let converged = (0..<count).filter { reference.state($0) == .converged }.count
        XCTAssertGreaterThan(converged, count * 9 / 10, "\(model.name) \(estimator): most reference fits should converge (seed \(seed))")
        assertAgreement(fast, reference, fraction: 0.05, context: "\(model.name) \(estimator) \(precision) seed \(seed)")
    }

    func testEveryModelSinglePrecisionLSE() throws {
        for model in ModelID.allCases { try check(model, .leastSquares, precision: .single) }
    }

    func testEveryModelSinglePrecisionMLE() throws {
        for model in ModelID.allCases where model != .linear1D { try check(model, .poissonMLE, precision: .single) }
    }

    func testEveryModelDoublePrecision() throws {
        for model in ModelID.allCases {
            try check(model, .leastSquares, precision: .double, count: 100)
            if model != .linear1D { try check(model, .poissonMLE, precision: .double, count: 100) }
        }
    }
}
