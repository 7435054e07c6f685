import FemtofitTestSupport
import FitCore
import FitEngine
import Foundation
import Pipeline
import Simulation
import TAMData
import XCTest

/// Per-trace kinetics on realistic transient-absorption simulations (issue 17): the simulator
/// is what it says, the start rule finds components of either sign, and per-trace fits with the
/// component count chosen per trace are honest or flagged, never "converged" with NaN errors.
final class KineticsTracesTests: XCTestCase {
    func testSimulationIsWhatItSays() {
        let seed = freshSeed(170)
        let s = TransientAbsorptionSimulation(seed: seed)
        XCTAssertEqual(s.wavelengths.count, 800)
        XCTAssertEqual(s.delays.count, 409)
        XCTAssertEqual(s.delays.first, -3000)
        XCTAssertEqual(s.delays.last!, 48_000, accuracy: 1e-6)
        XCTAssertTrue(zip(s.delays, s.delays.dropFirst()).allSatisfy { $0 < $1 })
        let chirp = s.truth.timeZeros.max()! - s.truth.timeZeros.min()!
        XCTAssertEqual(chirp, 2500, accuracy: 400, "the chirp across the band, seed \(seed)")
        XCTAssertEqual(s.noiseless.map(abs).max()!, 20, accuracy: 1e-9, "the largest |signal|, mOD")
        XCTAssertEqual(s.noiseSigma, 0.2, accuracy: 1e-12)
        let residuals = zip(s.traces, s.noiseless).map { Double($0) - $1 }
        let rms = (residuals.reduce(0) { $0 + $1 * $1 } / Double(residuals.count)).squareRoot()
        XCTAssertEqual(rms, 0.2, accuracy: 0.004, "the noise, seed \(seed)")
        XCTAssertEqual(s.truth.irfSigma * (8 * log(2.0)).squareRoot(), 120, accuracy: 12.0001, "the response's FWHM")
        XCTAssertEqual(s.truth.lifetimes.count, 3)
        // Bleach and induced absorption: both signs in the matrix.
        XCTAssertLessThan(s.noiseless.min()!, -2)
        XCTAssertGreaterThan(s.noiseless.max()!, 2)
    }

    /// From the true time zero and response, the start rule picks lifetimes near the truth and
    /// amplitudes with the right signs: a decay and a rise of opposite sign, with an artefact.
    func testStartFindsComponentsOfEitherSign() throws {
        let delays = TransientAbsorptionSimulation.delayAxis()
        let truth = [-8.0, 300, 5, 6000, 150, 100, 0.5, 2, -1, 0.5]
        let trace = try ModelEvaluation.evaluate(.kinetics2Artifact, parameters: truth, coordinates: .sharedX(delays), pointCount: delays.count).values
        let rule = KineticsStart(delays: delays)
        let start = try XCTUnwrap(rule.estimate(model: .kinetics2Artifact, trace: trace, t0: 150, irf: 100))
        XCTAssertLessThan(start[0], 0, "the fast component's sign: \(start)")
        XCTAssertGreaterThan(start[2], 0, "the slow component's sign: \(start)")
        XCTAssertEqual(log(start[1] / 300), 0, accuracy: 0.7, "fast lifetime within a grid step: \(start)")
        XCTAssertEqual(log(start[3] / 6000), 0, accuracy: 0.7, "slow lifetime: \(start)")
        XCTAssertEqual(start[4], 150); XCTAssertEqual(start[5], 100)
    }

    /// Per-trace fits of a realistic simulation, components chosen per trace, the artefact on:
    /// at least 90 % honest, every other trace flagged by its state, none `converged` with a NaN
    /// error, and the honest traces' time zeros on the chirp.
    func testPerTraceFitsOfARealisticSimulationAreHonestOrFlagged() throws {
        let seed = freshSeed(171)
        let s = TransientAbsorptionSimulation(seed: seed, wavelengthCount: 200)
        let fits = try KineticsTraces(components: .automatic, coherentArtifact: true)
            .fit(delays: s.delays, traces: s.traces, engine: FitEngine(choice: .cpu, precision: .double))
        XCTAssertEqual(fits.count, 200)
        var honest = 0, t0Errors: [Double] = [], withinThree = 0
        for (i, fit) in fits.enumerated() {
            let free = fit.standardErrors.enumerated().filter { !(fit.longLived && $0.offset == 2 * fit.components - 1) }
            if fit.state == .converged {
                honest += 1
                XCTAssertTrue(free.allSatisfy { $0.element.isFinite }, "trace \(i) converged with a NaN error, seed \(seed)")
                let error = fit.parameters[2 * fit.components] - s.truth.timeZeros[i]
                t0Errors.append(abs(error))
                if abs(error) <= 3 * fit.standardErrors[2 * fit.components] { withinThree += 1 }
            } else {
                XCTAssertNotEqual(fit.state, .converged)
            }
        }
        let counts = (1...4).map { n in fits.filter { $0.isHonest && $0.components == n }.count }
        XCTAssertGreaterThanOrEqual(honest, 180, "honest traces of 200, seed \(seed); by components \(counts)")
        // Time zero per trace on the chirp. (Its stated errors are too small where a trace's
        // chosen model drops the 0.12 ps component, which the artefact then stands in for: about
        // a third of traces lie beyond 3 s.e.; issue 17's notes. The global fit's chirp is the
        // honest time zero.)
        let median = t0Errors.sorted()[t0Errors.count / 2]
        XCTAssertLessThan(median, 30, "median |t0 - truth| of the honest traces, fs, seed \(seed); \(withinThree) of \(honest) within 3 s.e.")
    }

    /// The engine's own start (no start values given: what Python's `femtofit.fit(..., 'kinetics2',
    /// x=delays)` does, the call of issue 17's report) on realistic traces: `AutoStart` takes the
    /// rise's time zero and width and `KineticsStart`'s lifetimes and amplitudes, so most fits
    /// end honest, and none is `converged` with a NaN error.
    func testEngineAutoStartOnARealisticSimulation() throws {
        let seed = freshSeed(172)
        let s = TransientAbsorptionSimulation(seed: seed, wavelengthCount: 200)
        let engine = try FitEngine(choice: .cpu, precision: .double)
        var report: [String] = []
        // Honest fits of 200 at least (measured over 4 seeds: 174-184, 148-158, 110-126). The
        // rest are flagged: a model with fewer components than the data (three lifetimes, a step
        // and the artefact) often ends on a bound, and the artefact's free t0 and width trade off.
        for (model, floor) in [(ModelID.kinetics2, 150), (.kinetics3, 125), (.kinetics3Artifact, 90)] {
            let batch = FitBatch(model: model, fitCount: 200, pointCount: s.delays.count, data: s.traces, coordinates: .sharedX(s.delays))
            let results = try engine.fit(batch, settings: FitSettings(tolerance: 1e-6, maxIterations: 200))
            var honest = 0
            for i in 0..<200 {
                let errors = results.standardErrors(of: i)
                if results.state(i) == .converged {
                    honest += 1
                    XCTAssertTrue(errors.allSatisfy(\.isFinite), "\(model.name) fit \(i) converged with a NaN error, seed \(seed)")
                }
            }
            report.append("\(model.name): \(honest) of 200 honest")
            XCTAssertGreaterThanOrEqual(honest, floor, "\(model.name), seed \(seed): " + report.joined(separator: "; "))
        }
    }

    /// kinetics.csv: the widest layout, NaN where a trace lacks a component, a `components` column.
    func testTableHoldsNaNInColumnsATraceLacks() throws {
        let two = KineticsTraceFit(model: .kinetics2, longLived: true, state: .converged, parameters: [1, 100, 2, .infinity, 5, 60, 0],
                                   standardErrors: [0.1, 3, 0.1, .nan, 1, 2, 0.01], chiSquare: 4, bic: -10, iterations: 7)
        let text = KineticsTable.text([two], labels: [500])
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0], row = lines[1]
        XCTAssertEqual(header.count, row.count)
        func cell(_ name: String) -> String { row[header.firstIndex(of: name)!] }
        XCTAssertEqual(cell("components"), "2")
        XCTAssertEqual(cell("long_lived"), "1")
        XCTAssertEqual(cell("tau_1"), "100.0")
        XCTAssertEqual(cell("tau_2"), "inf")
        XCTAssertEqual(cell("tau_3"), "nan")
        XCTAssertEqual(cell("amplitude_4_se"), "nan")
        XCTAssertEqual(cell("t0"), "5.0")
        XCTAssertEqual(cell("artifact_0"), "nan")
        XCTAssertEqual(cell("state"), "converged")
    }

    /// The trace matrix reads what it writes, and every malformed file gets an error naming the
    /// file and the line.
    func testTraceMatrixRoundTripsAndNamesBadLines() throws {
        let folder = NSTemporaryDirectory() + "femtofit-matrix-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let matrix = TraceMatrix(delays: [-100, 0, 100.5], wavelengths: [450, 500], values: [1, 2, .nan, -0.25, 0, 3e-3])
        try matrix.write(to: folder + "/m.csv")
        let back = try TraceMatrix.read(folder + "/m.csv")
        XCTAssertEqual(back.delays, matrix.delays)
        XCTAssertEqual(back.wavelengths, matrix.wavelengths)
        XCTAssertEqual(back.values.count, 6)
        XCTAssertTrue(back.values[2].isNaN)
        XCTAssertEqual(back.values[5], 3e-3)
        let cases: [(String, String)] = [
            ("", "is empty"),
            ("x,0,100\n500,1\n", "line 2 has 2 cells"),
            ("x,0,abc\n", "column 3 reads 'abc'"),
            ("x,100,0\n500,1,2\n", "rise strictly"),
            ("x,0,100\nblue,1,2\n", "line 2 starts with 'blue'"),
            ("x,0,100\n500,1,two\n", "line 2, column 3 reads 'two'"),
            ("x,0,100\n", "no traces"),
        ]
        for (k, (text, expected)) in cases.enumerated() {
            let path = folder + "/bad\(k).csv"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TraceMatrix.read(path), "case \(k)") { error in
                let words = "\(error)"
                XCTAssertTrue(words.contains(path) && words.contains(expected), "case \(k): \(words)")
            }
        }
        // Semicolons and tabs, CRLF, a comment line.
        let path = folder + "/semicolon.csv"
        try "# exported\r\nnm;-50;50\r\n600;0.5;nan\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        let semi = try TraceMatrix.read(path)
        XCTAssertEqual(semi.delays, [-50, 50])
        XCTAssertEqual(semi.values[0], 0.5)
        XCTAssertTrue(semi.values[1].isNaN)
    }
}
