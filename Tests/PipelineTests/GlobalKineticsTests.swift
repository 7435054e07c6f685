import FemtofitTestSupport
import FitCore
import Foundation
import Pipeline
import Simulation
import Transport
import XCTest

/// Global kinetics on realistic transient-absorption simulations (issue 17): shared lifetimes,
/// response width and chirp recovered, and their intervals honest over many seeds.
final class GlobalKineticsTests: XCTestCase {
    /// Seeds of the coverage test: `FEMTOFIT_KINETICS_SEEDS` (50 in the full tier), else 8.
    static let seeds = Int(ProcessInfo.processInfo.environment["FEMTOFIT_KINETICS_SEEDS"] ?? "") ?? 8

    func fit(_ s: TransientAbsorptionSimulation, components: Int = 3) throws -> GlobalKinetics.Result {
        try GlobalKinetics(delays: s.delays, wavelengths: s.wavelengths, traces: s.traces,
                           options: .init(components: components, coherentArtifact: true, chirpDegree: 2)).fit()
    }

    /// 800 traces x 409 delays: lifetimes within 5 %, the response within 10 %, the chirp within
    /// 20 fs rms, the long-lived component found, and the DAS of the slowest decay followed.
    func testGlobalFitRecoversTheSharedParameters() throws {
        let seed = freshSeed(172)
        let s = TransientAbsorptionSimulation(seed: seed)
        let result = try fit(s)
        XCTAssertTrue(result.converged, "seed \(seed): \(result.notes)")
        XCTAssertTrue(result.longLived, "the long-lived component, seed \(seed)")
        XCTAssertEqual(result.lifetimes.count, 3)
        for (estimate, truth) in zip(result.lifetimes, s.truth.lifetimes) {
            XCTAssertEqual(estimate.value / truth, 1, accuracy: 0.05, "lifetime \(estimate) against \(truth), seed \(seed)")
        }
        XCTAssertEqual(result.irfSigma.value / s.truth.irfSigma, 1, accuracy: 0.10, "response \(result.irfSigma) against \(s.truth.irfSigma), seed \(seed)")
        let squares = zip(result.timeZeros, s.truth.timeZeros).map { ($0 - $1) * ($0 - $1) }
        let rms = (squares.reduce(0, +) / Double(squares.count)).squareRoot()
        XCTAssertLessThan(rms, 20, "chirp rms error, fs, seed \(seed)")
        // The slowest finite decay's amplitude against its DAS, where it is large.
        let slow = s.truth.das.indices.filter { abs(s.truth.das[$0][2]) > 2 }
        XCTAssertFalse(slow.isEmpty)
        for i in slow { XCTAssertEqual(result.amplitudes[i][2], s.truth.das[i][2], accuracy: 0.2 * abs(s.truth.das[i][2]), "trace \(i), seed \(seed)") }
    }

    /// The lifetimes' 95 % intervals cover the truth for at least 90 % of seeds (each lifetime
    /// counted; 50 seeds in the full tier). Smaller matrices (200 wavelengths) keep it quick.
    func testLifetimeIntervalsCoverTheTruth() throws {
        let base = freshSeed(173)
        var covered = 0, total = 0
        for k in 0..<Self.seeds {
            let seed = base &+ UInt64(k)
            let s = TransientAbsorptionSimulation(seed: seed, wavelengthCount: 200)
            let result = try fit(s)
            for (estimate, truth) in zip(result.lifetimes, s.truth.lifetimes) {
                total += 1
                if estimate.ci95[0] <= truth && truth <= estimate.ci95[1] { covered += 1 }
            }
        }
        let fraction = Double(covered) / Double(total)
        // With the default 8 seeds (24 intervals, three per seed and correlated within one), the
        // floor only catches gross undercoverage: 0.75 failed about 1 run in 130 at 90 %
        // coverage; 0.6 fails about 1 in 10^4. FEMTOFIT_KINETICS_SEEDS=50 holds it to 90 %.
        XCTAssertGreaterThanOrEqual(fraction, Self.seeds >= 50 ? 0.90 : 0.6, "\(covered) of \(total) intervals cover, seeds from \(base)")
    }
}
