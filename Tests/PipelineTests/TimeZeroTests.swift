import FitCore
import Foundation
import Pipeline
import Simulation
import TAMData
import XCTest
import FemtofitTestSupport

/// Time zero from the rise of the signal, per wavelength (the chirp correction), and left alone
/// where the delay grid cannot pin it.
final class TimeZeroTests: XCTestCase {
    /// `preZero` frames every 40 fs before zero, every 20 fs from 0 to 400 fs, then log-spaced to
    /// 100 ps: a grid that resolves a rise, as the raw-data path meets it.
    static func risingGrid(preZero: Int) -> [Double] {
        (0..<preZero).map { -40 * Double(preZero - $0) } + stride(from: 0.0, through: 400, by: 20).map { $0 }
            + (1...29).map { 400 * pow(250.0, Double($0) / 29) }
    }

    /// The grid the issue asks for, on summed traces (where it is cheap): IRF 50–200 fs FWHM,
    /// peak SNR 30–300, 3–8 frames before zero, bleach or photo-induced absorption, a fast or a
    /// slow decay, and a spot whose integral is conserved or whose peak height is held (its sum
    /// then grows for 100 ps). t0 must be within 2 of its standard errors in at least 95 % of
    /// the traces it fits, and the errors honest: not inflated either (rms z near 1, about 68 %
    /// within one). At most 2 % may get no time zero, each with its reason (at SNR 30 a 50 fs
    /// response on 20 fs steps is at the edge of resolved).
    func testTimeZeroIsFoundWithHonestErrorsOnAGridOfRises() throws {
        let seed = freshSeed(0x7157)
        var random = SeededRandom(seed: seed)
        var z: [Double] = [], failed: [String] = []
        for fwhm in [50.0, 90, 140, 200] {
            for snr in [30.0, 100, 300] {
                for preZero in [3, 5, 8] {
                    for sign in [1.0, -1.0] {
                        for fast in [true, false] {
                            for conserves in [true, false] {
                                for _ in 0..<16 {
                                    var simulator = TAMSimulator()
                                    simulator.irfFWHM = fwhm
                                    simulator.timeZero = -30 + 90 * random.uniform()
                                    simulator.amplitude = sign * 1000
                                    simulator.conservesIntegral = conserves
                                    if fast { simulator.recombination = [.init(fraction: 0.8, lifetimeFs: 300), .init(fraction: 0.2, lifetimeFs: 50_000)] }
                                    let delays = Self.risingGrid(preZero: preZero)
                                    let clean = delays.map { simulator.summedSignal(at: $0) }
                                    let noise = clean.map(abs).max()! / snr
                                    let trace = clean.map { 40 + $0 + noise * random.normal() }
                                    let name = "IRF \(fwhm) fs, SNR \(snr), \(preZero) before zero, sign \(sign), fast \(fast), integral \(conserves), t0 \(simulator.timeZero)"
                                    switch TimeZero.fit(delays: delays, signal: trace, variance: delays.map { _ in noise * noise }) {
                                    case let .fitted(found):
                                        z.append((found.t0 - simulator.timeZero) / found.standardError)
                                        XCTAssertTrue(found.ci95[0] < found.t0 && found.t0 < found.ci95[1], name)
                                    case let .failed(reason): failed.append(name + ": " + reason)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let total = z.count + failed.count
        let within2 = Double(z.filter { abs($0) <= 2 }.count) / Double(z.count)
        let within1 = Double(z.filter { abs($0) <= 1 }.count) / Double(z.count)
        let rms = (z.map { $0 * $0 }.reduce(0, +) / Double(z.count)).squareRoot()
        let summary = "seed \(seed): \(total) traces, \(failed.count) not fitted, within 2 SE \(within2), within 1 SE \(within1), rms z \(rms); first failures \(failed.prefix(3))"
        XCTAssertLessThanOrEqual(Double(failed.count), 0.02 * Double(total), summary)
        // Gaussian z: 95.4 % within 2; measured ~96 % over these 4 608 traces. 0.94 leaves the
        // binomial scatter (sd 0.3 %) room; at 0.95 a run at 95.5 % failed one time in twenty.
        XCTAssertGreaterThanOrEqual(within2, 0.94, summary)
        XCTAssertGreaterThanOrEqual(within1, 0.6, summary)
        XCTAssertLessThan(within1, 0.85, summary)
        XCTAssertEqual(rms, 1, accuracy: 0.3, summary)
        print(summary)
    }

    /// Without variances (one run) the noise comes from the scatter about the fit, and the 95 %
    /// interval from Student's t on the fit's degrees of freedom.
    func testWithoutVariancesTheIntervalStillCovers() throws {
        let seed = freshSeed(0x7158)
        var random = SeededRandom(seed: seed)
        var covered = 0, total = 0
        for _ in 0..<300 {
            var simulator = TAMSimulator()
            simulator.irfFWHM = 60 + 120 * random.uniform()
            simulator.timeZero = -30 + 90 * random.uniform()
            let delays = Self.risingGrid(preZero: 6)
            let noise = simulator.summedSignal(at: 400) / 60
            let trace = delays.map { simulator.summedSignal(at: $0) + noise * random.normal() }
            guard let found = TimeZero.estimate(delays: delays, signal: trace) else { continue }
            XCTAssertFalse(found.noiseFromVariance)
            total += 1
            if found.ci95[0] <= simulator.timeZero && simulator.timeZero <= found.ci95[1] { covered += 1 }
        }
        XCTAssertGreaterThanOrEqual(total, 294, "seed \(seed)")
        // 95 % intervals over ~300 traces: sd 1.3 %; 0.89 fails about 1 run in 10^5 at 95 % (0.91
        // failed about 1 in 700) and still catches intervals that cover 85 %.
        XCTAssertGreaterThanOrEqual(Double(covered) / Double(total), 0.89, "seed \(seed): \(covered) of \(total) intervals hold t0")
    }

    /// A grid with nothing between -100 and 0 fs cannot say where an instant step is; too few
    /// frames give no fit at all, with the reason.
    func testAnUnresolvedRiseIsNotUsed() throws {
        let sparse: [Double] = [-300, -200, -100] + (0...30).map { 100 * pow(60.0, Double($0) / 30) - 100 }
        let step = sparse.map { $0 < 0 ? 0.0 : exp(-$0 / 1000) }
        XCTAssertFalse(TimeZero.isUsable(TimeZero.estimate(delays: sparse, signal: step)))
        guard case let .failed(reason) = TimeZero.fit(delays: [0, 1, 2], signal: [0, 1, 1]) else { return XCTFail("three frames gave a fit") }
        XCTAssertTrue(reason.contains("at least 7"), reason)
        guard case .failed = TimeZero.fit(delays: Self.risingGrid(preZero: 4), signal: Self.risingGrid(preZero: 4).map { _ in 1 }) else {
            return XCTFail("a flat trace gave a time zero")
        }
    }

    /// The demo's grid (-1000, -500, -200, then 0-400 fs in 20 fs steps) on an instant rise at
    /// zero, decaying, at low signal-to-noise: the gap before zero could hide the step anywhere,
    /// so a time zero is either not found or, when used, within 3 of its standard errors of the
    /// true 0 (a faint demo fluence once gave -75 +- 23 fs and moved every delay).
    func testAStepAfterAGapGivesNoWrongTimeZero() throws {
        let seed = freshSeed(0x57E9)
        var random = SeededRandom(seed: seed)
        let delays: [Double] = [-1000, -500, -200] + stride(from: 0.0, through: 400, by: 20).map { $0 }
        var used: [String] = []
        for k in 0..<300 {
            let snr = [20.0, 50, 150][k % 3]
            let signal = delays.map { ($0 < 0 ? 0 : exp(-$0 / 5000)) + random.normal() / snr }
            let variance = delays.map { _ in 1 / (snr * snr) }
            if let e = TimeZero.fit(delays: delays, signal: signal, variance: variance).estimate, TimeZero.isUsable(e), abs(e.t0) > 3 * e.standardError {
                used.append("SNR \(snr): \(e.t0) ± \(e.standardError)")
            }
        }
        // About 2.5e-6 of such traces pass the 1e-5 test by chance (4 of 12 000 did at 0.1 %): at
        // most one of 300, so that chance alone never fails the run; two are a defect.
        XCTAssertLessThanOrEqual(used.count, 1, "seed \(seed): \(used)")
    }

    /// The issue's raw dataset: a 90 fs response, 20 fs steps, seven frames before zero, two probe
    /// wavelengths whose time zero differs by 60 fs, three runs with a drifting spot, shot noise.
    /// Each wavelength's time zero is found through the whole preprocessing, the chirp between
    /// them within 15 fs, and the background is taken only from frames well before the rise.
    func testTheChirpBetweenTwoWavelengthsIsFoundOnARawDataset() throws {
        let folder = NSTemporaryDirectory() + "femtofit-chirp-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var simulator = TAMSimulator()
        simulator.width = 40; simulator.height = 40
        simulator.irfFWHM = 90
        simulator.amplitude = 4000; simulator.background = 400
        simulator.seed = freshSeed(0x7159)
        simulator.delays = (1...7).map { -20 * Double(8 - $0) } + stride(from: 0.0, through: 400, by: 20).map { $0 } + (1...8).map { 400 * pow(100.0, Double($0) / 8) }
        let probes = [SimulatedDataset.Probe(wavelengthNm: 800, timeZeroFs: 0), SimulatedDataset.Probe(wavelengthNm: 850, timeZeroFs: 60)]
        try SimulatedDataset.write(simulator, runs: 3, probes: probes, runDriftPx: (0.6, -0.4), to: folder)
        let dataset = try Dataset.open(folder)
        let series = DifferentialStack.series(of: dataset)
        XCTAssertEqual(series.count, 2)
        let prepared = try series.map { try Preprocessing().run(dataset, series: $0) }
        let found = try prepared.map { try XCTUnwrap($0.timeZero, "\($0.notes)") }
        let context = "seed \(simulator.seed): \(found.map { "\($0.t0) ± \($0.standardError)" }); notes \(prepared.map(\.notes))"
        XCTAssertEqual(found[0].t0, 0, accuracy: 15, context)
        XCTAssertEqual(found[1].t0, 60, accuracy: 15, context)
        XCTAssertEqual(found[1].t0 - found[0].t0, 60, accuracy: 15, "the chirp; " + context)
        XCTAssertEqual(found[0].irfFWHM, 90, accuracy: 30, context)
        for (series, estimate) in zip(prepared, found) {
            XCTAssertTrue(series.timeZeroUsed, context)
            XCTAssertEqual(series.delayShiftFs, -estimate.t0)
            XCTAssertEqual(series.delayFs[3], simulator.delays[3] - estimate.t0, accuracy: 1e-9, "before zero: moved only")
            XCTAssertEqual(series.delayFs.last!, simulator.delays.last! - estimate.t0, accuracy: 1e-6, "long after: moved only")
            XCTAssertEqual(series.delayFs[7], TimeZero.effectiveDelay(simulator.delays[7] - estimate.t0, irfSigma: estimate.irfSigma), accuracy: 1e-9)
            let background = try XCTUnwrap(series.notes.first { $0.hasPrefix("background:") })
            XCTAssertTrue(background.contains("IRF sigmas before the rise"), background)
            XCTAssertFalse(series.notes.joined().lowercased().contains("nan"), "\(series.notes)")
        }
    }

    /// A rise before the first frame gives no time zero, and the note says why in words, never a
    /// value beside a NaN error.
    func testAFailedTimeZeroIsSaidInWords() throws {
        let folder = NSTemporaryDirectory() + "femtofit-no-rise-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var simulator = TAMSimulator()
        simulator.width = 24; simulator.height = 24
        simulator.delays = [-100, -50] + (0..<12).map { 100 + 100 * Double($0) }
        simulator.timeZero = -400
        simulator.seed = freshSeed(0x715A)
        try SimulatedDataset.write(simulator, to: folder)
        let dataset = try Dataset.open(folder)
        // Seen once in CI (2026-12-06, seed not yet printed): noise on the decay made a "rise" at
        // 183 fs (IRF sigma 203 fs) that was taken as time zero, and the background step then
        // refused the series. A confident wrong time zero: replay with the seed below.
        let series: Preprocessing.Series
        do { series = try Preprocessing().run(dataset, series: DifferentialStack.series(of: dataset)[0]) } catch {
            return XCTFail("seed \(simulator.seed): \(error)")
        }
        let note = try XCTUnwrap(series.notes.first { $0.hasPrefix("time zero:") }, "seed \(simulator.seed)")
        XCTAssertFalse(series.timeZeroUsed, note)
        XCTAssertFalse(note.lowercased().contains("nan"), note)
        XCTAssertTrue(note.contains("delays are as acquired"), note)
    }
}
