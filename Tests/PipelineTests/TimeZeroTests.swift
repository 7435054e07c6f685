import FitCore
import Foundation
import Pipeline
import TAMData
import XCTest
import FemtofitTestSupport

/// Time zero from the rise of the signal, per wavelength (the chirp correction), and left alone
/// where the delay grid cannot pin it.
final class TimeZeroTests: XCTestCase {
    /// Delays every 10 fs from -200 to 200 fs, then log-spaced to 5 ps.
    let delays: [Double] = stride(from: -200.0, through: 200, by: 10).map { $0 } + (1...20).map { 200 * pow(25.0, Double($0) / 20) }

    /// A rise at `t0` through a Gaussian response of sigma `irf`, decaying with 1 ps.
    func kinetics(t0: Double, irf: Double) throws -> [Double] {
        try ModelEvaluation.evaluate(.kinetics1, parameters: [1, 1000, t0, irf, 0], coordinates: .sharedX(delays), pointCount: delays.count).values
    }

    func testTheRiseGivesTimeZero() throws {
        var random = SeededRandom(seed: freshSeed(83))
        let noisy = try kinetics(t0: 37, irf: 25).map { $0 + 0.005 * (random.uniform() - 0.5) }
        let found = try XCTUnwrap(try TimeZero.estimate(delays: delays, signal: noisy))
        XCTAssertEqual(found.t0, 37, accuracy: 3)
        XCTAssertTrue(TimeZero.isUsable(found), "\(found)")
        // A grid with nothing between -100 and 0 fs cannot say where the step is.
        let sparse: [Double] = [-300, -200, -100] + (0...30).map { 100 * pow(60.0, Double($0) / 30) - 100 }
        let step = sparse.map { $0 < 0 ? 0.0 : exp(-$0 / 1000) }
        XCTAssertFalse(TimeZero.isUsable(try TimeZero.estimate(delays: sparse, signal: step)))
        XCTAssertNil(try TimeZero.estimate(delays: [0, 1, 2], signal: [0, 1, 1]), "too few points")
    }

    /// Two probe wavelengths whose signals rise 40 fs apart (chirp): each series' delays are moved
    /// by its own time zero.
    func testEachWavelengthGetsItsOwnTimeZero() throws {
        let folder = NSTemporaryDirectory() + "femtofit-timezero-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (w, h) = (10, 10)
        let spot = (0..<(w * h)).map { k -> Double in
            let dx = Double(k % w) - 4.6, dy = Double(k / w) - 5.2
            return exp(-(dx * dx + dy * dy) / 8)
        }
        var stacks: [String: ImageStack] = [:], entries: [FrameEntry] = []
        for (wavelength, t0) in [(0, 0.0), (1, 40.0)] {
            let curve = try kinetics(t0: t0, irf: 30)
            stacks["w\(wavelength).tif"] = ImageStack(width: w, height: h, pixels: curve.flatMap { c in spot.map { Float(c * $0) } })
            for delay in delays.indices {
                entries.append(FrameEntry(delay: delay, wavelength: wavelength, kind: .dTT, file: "w\(wavelength).tif", page: delay))
            }
        }
        let manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: w, frameHeight: h,
                                       axes: ScanAxes(delayFs: delays, wavelengthNm: [950, 1050]), frames: entries)
        try Dataset.write(manifest, stacks: stacks, to: folder)
        let dataset = try Dataset.open(folder)
        let series = DifferentialStack.series(of: dataset)
        XCTAssertEqual(series.count, 2)
        let blue = try Preprocessing().run(dataset, series: series[0]), red = try Preprocessing().run(dataset, series: series[1])
        XCTAssertEqual(try XCTUnwrap(blue.timeZero).t0, 0, accuracy: 2)
        XCTAssertEqual(try XCTUnwrap(red.timeZero).t0, 40, accuracy: 2)
        XCTAssertEqual(red.delayFs[20] - blue.delayFs[20], -40, accuracy: 3, "the red series' delays move 40 fs further")
        XCTAssertTrue(red.notes.contains { $0.contains("time zero: the signal rises at") }, "\(red.notes)")
        var off = Preprocessing(); off.findTimeZero = false
        XCTAssertEqual(try off.run(dataset, series: series[1]).delayFs, delays)
    }
}
