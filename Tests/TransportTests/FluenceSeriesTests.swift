import Transport
import XCTest

/// A fluence series in which the 1–100 ps MSD grows faster with fluence: its sub-diffusive part
/// splits into Auger-assisted hopping, then thermal hopping with one slope at every fluence.
final class FluenceSeriesTests: XCTestCase {
    /// Fixed seeds, as in RegimeRecoveryTests (each of the four fluences' band-like test rejects
    /// at 1 % by design).
    func testAugerAssistedAndHoppingAreSplitByFluence() throws {
        for seed: UInt64 in [21, 22, 23] { try assertSplit(seed: seed) }
    }

    func assertSplit(seed: UInt64) throws {
        let fluences = [0.045, 0.09, 0.135, 0.18]
        var analyses = try fluences.enumerated().map { i, f -> TransportAnalysis in
            let w = SimulatedWidths(.pureFilm(fluence: f), precision: 0.3, seed: seed &+ UInt64(i))
            return try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)
        }
        let notes = FluenceSeriesRegimes.classify(fluences: fluences, analyses: &analyses)
        for (f, a) in zip(fluences, analyses) {
            let all = analyses.map { $0.regimes.map { "\($0.kind.rawValue) \(Int($0.startFs.value))-\(Int($0.endFs.value)) a=\(($0.alpha.value * 1000).rounded() / 1000)" } }
            let context = "fluence \(f), seed \(seed): \(all); \(notes)"
            XCTAssertEqual(a.regimes.map(\.kind), [.bandLike, .augerAssisted, .hopping], context)
            XCTAssertEqual(a.dMax?.value ?? 0, TransportTruth.pureFilm(fluence: f).bandDiffusivity,
                           accuracy: 0.05 * TransportTruth.pureFilm(fluence: f).bandDiffusivity, context)
        }
        // The 1–100 ps growth is faster at higher fluence, as simulated.
        let augerAlphas = analyses.map { $0.regimes[1].alpha.value }
        XCTAssertEqual(augerAlphas, augerAlphas.sorted(), "\(augerAlphas)")
    }

    func testOneFluenceIsLeftSubDiffusive() throws {
        let w = SimulatedWidths(.pureFilm, precision: 0.3, seed: 24)
        var analyses = [try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)]
        XCTAssertEqual(FluenceSeriesRegimes.classify(fluences: [0.1], analyses: &analyses), [])
        XCTAssertEqual(analyses[0].regimes.map(\.kind), [.bandLike, .subDiffusive, .subDiffusive])
    }
}
