import FitCore
import Foundation
import Pipeline
import TAMData
import XCTest
import FemtofitTestSupport

/// Drift registration: known sub-pixel shifts between noisy spot frames are recovered within
/// 0.05 px, and moving a frame by a measured shift lines it up.
final class RegistrationTests: XCTestCase {
    /// A pixel-integrated Gaussian spot (sigma 2.5 px) on a 48x40 frame with Gaussian noise at
    /// 1 % of its peak: the shift between two such frames is then known to ~0.012 px (Fisher
    /// information of a Gaussian's position: sigma_x0 = sigma_noise sqrt(2/pi) / A per frame),
    /// so the 0.05 px requirement is a 4-sigma test, not a coin toss.
    func spot(x: Double, y: Double, seed: UInt64) throws -> ImageStack {
        let (w, h) = (48, 40)
        let values = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: [100, x, y, 2.5, 0],
                                                  coordinates: .grid(width: w, height: h), pointCount: w * h).values
        var random = SeededRandom(seed: seed)
        let noise = NoiseModel.gaussian(sigma: 1)
        return ImageStack(width: w, height: h, pixels: values.map { Float(noise.sample(mean: $0, random: &random)) })
    }

    func testKnownSubPixelShiftsAreRecovered() throws {
        var random = SeededRandom(seed: freshSeed(71))
        for trial in 0..<12 {
            let dx = random.uniform(-4...4), dy = random.uniform(-3...3)
            let x = random.uniform(20...26), y = random.uniform(17...22)
            let reference = try spot(x: x, y: y, seed: random.next())
            let moving = try spot(x: x + dx, y: y + dy, seed: random.next())
            let found = try Registration.shift(reference: reference, moving: moving)
            // sd ~0.012 px at the Fisher bound: 0.065 px is 5.4 sd, so 24 checks a run never fail
            // by chance (at 0.05 px, 4.2 sd, about 1 run in 1 000 did).
            XCTAssertEqual(found.dx, dx, accuracy: 0.065, "trial \(trial): dx")
            XCTAssertEqual(found.dy, dy, accuracy: 0.065, "trial \(trial): dy")
        }
        // Whitened (classic phase correlation) finds the integer shift of a sharp pattern exactly.
        var pattern = [Float](repeating: 0, count: 48 * 40)
        for k in stride(from: 5, to: pattern.count, by: 37) { pattern[k] = Float(k % 11) }
        let sharp = ImageStack(width: 48, height: 40, pixels: pattern)
        let moved = Registration.apply(pattern, width: 48, height: 40, dx: 3, dy: -2).map { $0.isNaN ? 0 : $0 }
        let whitened = try Registration.shift(reference: sharp, moving: ImageStack(width: 48, height: 40, pixels: moved), whitened: true)
        XCTAssertEqual(whitened.dx, 3, accuracy: 0.05)
        XCTAssertEqual(whitened.dy, -2, accuracy: 0.05)
        // A uniform frame has nothing to line up.
        let flat = ImageStack(width: 48, height: 40, pixels: [Float](repeating: 3, count: 48 * 40))
        XCTAssertTrue(try Registration.shift(reference: flat, moving: flat) == (0, 0))
    }

    /// Preprocessing lines runs up before averaging: run 1 drifted by (1.5, -0.8) px is moved
    /// back, so the averaged spot sits where run 0's does.
    func testPreprocessingRegistersRuns() throws {
        let folder = NSTemporaryDirectory() + "femtofit-registration-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let delays: [Double] = [-100, 0, 100]
        var stacks: [String: ImageStack] = [:], entries: [FrameEntry] = []
        for (run, centre) in [(22.0, 19.0), (23.5, 18.2)].enumerated() {
            var pixels: [Float] = []
            for (delay, t) in delays.enumerated() {
                let frame = try spot(x: centre.0, y: centre.1, seed: UInt64(10 * run + delay))
                pixels += t < 0 ? frame.pixels.map { ($0 - 50) * 0.01 } : frame.pixels  // before time zero: noise only
                entries.append(FrameEntry(delay: delay, run: run, kind: .dTT, file: "run\(run).tif", page: delay))
            }
            stacks["run\(run).tif"] = ImageStack(width: 48, height: 40, pixels: pixels)
        }
        let manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: 48, frameHeight: 40, axes: ScanAxes(delayFs: delays, runs: 2), frames: entries)
        try Dataset.write(manifest, stacks: stacks, to: folder)
        let dataset = try Dataset.open(folder)
        var options = Preprocessing()
        options.subtractBackground = false
        let result = try options.run(dataset, series: DifferentialStack.series(of: dataset)[0])
        XCTAssertTrue(result.notes.contains { $0.contains("registration") && $0.contains("run 1 (1.4") || $0.contains("run 1 (1.5") }, "\(result.notes)")
        XCTAssertTrue(result.notes.contains { $0.contains("runs moved: 1") }, "\(result.notes)")
        // The averaged spot's centroid sits at run 0's centre.
        var sx = 0.0, sy = 0.0, total = 0.0
        let size = 48 * 40
        for k in 0..<size {
            let v = Double(result.signal.pixels[size + k])
            guard v.isFinite, v > 10 else { continue }
            sx += v * Double(k % 48); sy += v * Double(k / 48); total += v
        }
        XCTAssertEqual(sx / total, 22.0, accuracy: 0.1)
        XCTAssertEqual(sy / total, 19.0, accuracy: 0.1)
    }

    func testMovingAFrameByItsShiftLinesItUp() throws {
        let reference = try spot(x: 22.0, y: 19.0, seed: 5)
        let moving = try spot(x: 23.7, y: 18.2, seed: 6)
        let found = try Registration.shift(reference: reference, moving: moving)
        let back = Registration.apply(Array(moving.pixels), width: 48, height: 40, dx: -found.dx, dy: -found.dy)
        let residual = try Registration.shift(reference: reference, moving: ImageStack(width: 48, height: 40, pixels: back))
        XCTAssertEqual(residual.dx, 0, accuracy: 0.05)
        XCTAssertEqual(residual.dy, 0, accuracy: 0.05)
        // Pixels brought in from outside the frame are NaN, not invented.
        XCTAssertTrue(back[47].isNaN, "the right edge came from outside")
        XCTAssertThrowsError(try Registration.shift(reference: reference, moving: ImageStack(width: 4, height: 4, pixels: [Float](repeating: 0, count: 16))))
    }
}
