import FitCore
import FitEngine
import Foundation
import Pipeline
import Simulation
import TAMData
import Transport
import XCTest
import FemtofitTestSupport

/// Honest intervals through the whole raw-data path: simulated pump-on/off frames with a resolved
/// rise (90 fs response), a time zero of its own, three runs with a drifting spot and shot noise,
/// then the preprocessing, the fit (gauss2d-pixelated weighted by the run scatter) and the
/// transport analysis a user runs (`femtofit analyze`). Over 100 seeds the 95 % intervals of D_max
/// and of the band-like length must hold the truth (the issue's goal: 90 % of them; the floor
/// here: `coverageFloor`), and the median D_max be within 5 % of it. The truth's MSD is measured from the true time zero. docs/analysis.md
/// records the figures.
final class RawPathCoverageTests: XCTestCase {
    struct Outcome {
        var dMax: Transport.Estimate?
        var length: Transport.Estimate?
        var timeZero: Double
        var found: TimeZero.Estimate?
        var kinds: [String]
    }

    /// 100 fresh seeds (~2 min): with 50, a method that truly covers 93 % falls under 90 % in a
    /// quarter of runs. `FEMTOFIT_COVERAGE_SEEDS=N` runs N instead, to measure.
    static let seeds = Int(ProcessInfo.processInfo.environment["FEMTOFIT_COVERAGE_SEEDS"] ?? "") ?? 100
    /// The issue asks for 90 %. Measured on this path (2026-12-05, 200 fresh seeds twice): D_max
    /// 92.5–94 %, the band-like length 91.5–96.5 % (94 % over the 400; a dataset whose first regime
    /// is not reported band-like, ~1.5 %, counts as a miss). The floor sits where 100 seeds at
    /// 92.5 % fall below it in 1.5 runs in 10 000 (exact binomial; 91.5 %: 6 in 10 000; at 0.87
    /// it was about 2 in 100, too often for a check that gates every change); a path that covers
    /// 80 % still fails it in most runs.
    static let coverageFloor = 0.82

    func runPath(seed: UInt64, timeZero: Double, folder: String) throws -> Outcome {
        var simulator = SimulatedRawData.resolvedRise(seed: seed)
        simulator.timeZero = timeZero
        try SimulatedDataset.write(simulator, runs: 3, runDriftPx: (0.5, -0.3), to: folder)
        let dataset = try Dataset.open(folder)
        let prepared = try Preprocessing().run(dataset, series: DifferentialStack.series(of: dataset)[0])
        let results = try StackFitter(model: .gauss2DPixelated, engine: FitEngine()).fit(prepared, source: folder)
        let px = simulator.pixelSize
        let analysis = try TransportAnalysis(delays: prepared.delayFs, sigmas: results.map { $0.parameters[3] * px },
                                             errors: results.map { $0.standardErrors[3] * px }, valid: results.map { $0.state == .converged })
        return Outcome(dMax: analysis.dMax, length: analysis.bandLike.lengthNm, timeZero: timeZero, found: prepared.timeZero,
                       kinds: analysis.regimes.map(\.kind.rawValue))
    }

    func testIntervalsCoverTheTruthThroughTheRawDataPath() throws {
        let base = freshSeed(0xC0DE)
        var random = SeededRandom(seed: base)
        let truth = TransportTruth()
        var outcomes: [Outcome] = []
        for i in 0..<Self.seeds {
            let folder = NSTemporaryDirectory() + "femtofit-coverage-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: folder) }
            outcomes.append(try runPath(seed: base &+ UInt64(1000 * i), timeZero: -20 + 60 * random.uniform(), folder: folder))
        }
        let dCovered = outcomes.filter { $0.dMax?.contains(truth.bandDiffusivity) ?? false }.count
        let lengthCovered = outcomes.filter { $0.length?.contains(truth.bandLikeLength) ?? false }.count
        let dValues = outcomes.compactMap { $0.dMax?.value }.sorted()
        let median = dValues.isEmpty ? .nan : dValues[dValues.count / 2]
        let lengths = outcomes.compactMap { $0.length?.value }.sorted()
        let t0Errors = outcomes.compactMap { o in o.found.map { ($0.t0 - o.timeZero) / $0.standardError } }
        let summary = "seed \(base): D_max covered \(dCovered)/\(Self.seeds), length covered \(lengthCovered)/\(Self.seeds), median D_max \(median) (truth \(truth.bandDiffusivity)), median length \(lengths.isEmpty ? .nan : lengths[lengths.count / 2]) (truth \(truth.bandLikeLength)), t0 z \(t0Errors.map { String(format: "%.1f", $0) }); kinds \(Set(outcomes.map { $0.kinds.joined(separator: ",") }))"
        print(summary)
        for o in outcomes where !(o.length?.contains(truth.bandLikeLength) ?? false) || !(o.dMax?.contains(truth.bandDiffusivity) ?? false) {
            print("MISSED length \(o.length.map { "\($0.value) \($0.ci95)" } ?? "none") D \(o.dMax.map { "\($0.value) \($0.ci95)" } ?? "none") kinds \(o.kinds) t0 \(o.timeZero) found \(o.found.map { "\($0.t0) ± \($0.standardError)" } ?? "none")")
        }
        XCTAssertGreaterThanOrEqual(Double(dCovered), Self.coverageFloor * Double(Self.seeds), summary)
        XCTAssertGreaterThanOrEqual(Double(lengthCovered), Self.coverageFloor * Double(Self.seeds), summary)
        XCTAssertEqual(median, truth.bandDiffusivity, accuracy: 0.05 * truth.bandDiffusivity, summary)
    }
}
