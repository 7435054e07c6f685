import FitCore
import FitEngine
import XCTest
import FemtofitTestSupport

/// Issue 17's honest states on the CPU backends and the reference: parameters driven onto a
/// bound end `atBound`, a curvature singular at the solution ends `singular`, and `converged`
/// always comes with finite errors and no parameter on a bound (`HonestStateCases`).
final class HonestStateTests: XCTestCase {
    func testParametersDrivenOntoABoundAndSingularCurvaturesAreNotConverged() throws {
        let seed = freshSeed(0x4057)
        for backend in [CPUBackend(precision: .single), CPUBackend(precision: .double), ReferenceBackend()] as [any FitBackend] {
            let seen = try HonestStateCases.check(backend.name, seed: seed) { try FitEngine(backend: backend).fit($0, settings: $1) }
            XCTAssertGreaterThanOrEqual(seen[.atBound] ?? 0, 3 * HonestStateCases.fitsPerCase, "\(backend.name): \(seen)")
            XCTAssertGreaterThanOrEqual(seen[.singular] ?? 0, HonestStateCases.fitsPerCase, "\(backend.name): \(seen)")
        }
    }

    /// Gpufit's rules (the Gpufit entry points): a fit that converges onto a bound stays
    /// `converged`, as Gpufit reports it, and femtofit's own state 6 never appears.
    func testGpufitRulesKeepGpufitStates() throws {
        let cases = try HonestStateCases.cases(seed: freshSeed(0x4058))
        let onBound = cases[0]
        let r = try FitEngine(backend: CPUBackend()).fit(onBound.batch, settings: FitSettings(maxIterations: 200, convergence: .gpufit))
        for fit in 0..<onBound.batch.fitCount {
            XCTAssertEqual(r.state(fit), .converged, "fit \(fit)")
            let tau = r.parameters[fit * 5 + 1]
            XCTAssertEqual(tau, 300, accuracy: 1e-3, "fit \(fit)")
        }
    }

    /// The names every output uses come from the one table.
    func testTheStateTableNamesEveryState() {
        XCTAssertEqual(FitState.allCases.map(\.description),
                       ["converged", "max_iterations", "singular", "negative_curvature", "invalid_input", "at_bound", "non_finite_model"])
        XCTAssertEqual(FitState.atBound.rawValue, 6)
        XCTAssertEqual(FitState.nonFiniteModel.rawValue, 7)
    }
}
