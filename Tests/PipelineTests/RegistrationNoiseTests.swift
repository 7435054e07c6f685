import FitCore
import Foundation
import Pipeline
import Simulation
import TAMData
import XCTest
import FemtofitTestSupport

/// The run average's variances, as the preprocessing hands them to the fits, hold each pixel's
/// noise, and with their correlation factor (`MeasuredVariances.correlation`) the noise a fit of
/// a smooth model feels: the noise summed over a patch of pixels. Registration's moves smooth the
/// moved runs' noise (its per-pixel variance falls to ~0.3-0.5 of what it was) and correlate
/// neighbours; without the factor (`RegistrationNoise`) the summed noise would be ~1.6x what the
/// variances say, and the fits' errors ~25 % small.
final class RegistrationNoiseTests: XCTestCase {
    /// Shot-noise datasets (three runs, the spot drifting 0.5 and -0.3 px a run, so runs 1 and 2
    /// are moved), background not subtracted, so that frames are independent: away from the spot,
    /// the variance of the mean ΔT/T summed over 16x16 patches, measured over delays and patches,
    /// is what the reported variances summed over the same patches say times the correlation
    /// factor, within 15 %; and a pixel's variance over delays is what its reported variance says,
    /// within 15 % (each ratio scatters by about 3 % from seed to seed; at 10 % one run in ~150
    /// failed; the error this test exists for was a factor 1.6). (A patch's
    /// hard edge cuts the correlation with the pixels outside it, which lowers the measured side
    /// by ~1/side of a patch: 16x16 patches keep that to a few per cent.)
    func testVariancesHoldTheNoiseSummedOverPatches() throws {
        let seed = freshSeed(0x5CA1E)
        var measured = 0.0, stated = 0.0, samples = 0, pixelMeasured = 0.0, pixelStated = 0.0
        for i in 0..<4 {
            let folder = NSTemporaryDirectory() + "femtofit-registration-noise-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let simulator = SimulatedRawData.shotNoise(seed: seed &+ UInt64(i))
            try SimulatedDataset.write(simulator, runs: 3, runDriftPx: (0.5, -0.3), to: folder)
            let dataset = try Dataset.open(folder)
            var preprocessing = Preprocessing()
            preprocessing.subtractBackground = false
            let prepared = try preprocessing.run(dataset, series: DifferentialStack.series(of: dataset)[0])
            XCTAssertTrue(prepared.notes.contains { $0.contains("runs moved: 1, 2") }, "\(prepared.notes)")
            XCTAssertTrue(prepared.notes.contains { $0.hasPrefix("weights: registration's moves") }, "\(prepared.notes)")
            let variance = try XCTUnwrap(prepared.variance)
            let correlation = try XCTUnwrap(prepared.measuredVariances).correlation
            XCTAssertEqual(correlation, 3 / (1 + 0.5 * 0.58 + 0.52), accuracy: 0.05, "moves of (0.5, -0.3) and (1, -0.6) px: 3 / sum of the runs' kept variance")
            let side = 128, size = side * side, patch = 16
            // Patches in the four corners, 8 to 40 px in from the edges: far from the spot
            // (centred, sigma under 10 px) and clear of the rows a move leaves empty.
            let starts = [8, 24].flatMap { a in [8, 24].map { b in (a, b) } }
            let corners = starts.flatMap { (x, y) in [(x, y), (side - patch - x, y), (x, side - patch - y), (side - patch - x, side - patch - y)] }
            for (x0, y0) in corners {
                var sums: [Double] = []
                for frame in 0..<prepared.signal.frameCount {
                    var sum = 0.0, summedVariance = 0.0
                    for y in y0..<(y0 + patch) {
                        for x in x0..<(x0 + patch) {
                            sum += Double(prepared.signal.pixels[frame * size + y * side + x])
                            summedVariance += correlation * Double(variance.pixels[frame * size + y * side + x])
                        }
                    }
                    sums.append(sum)
                    stated += summedVariance
                }
                // One pixel of the patch: its own variance over delays.
                let pixel = (y0 + patch / 2) * side + x0 + patch / 2
                let values = (0..<prepared.signal.frameCount).map { Double(prepared.signal.pixels[$0 * size + pixel]) }
                let pixelMean = values.reduce(0, +) / Double(values.count)
                pixelMeasured += values.reduce(0) { $0 + ($1 - pixelMean) * ($1 - pixelMean) } * Double(values.count) / Double(values.count - 1)
                pixelStated += (0..<prepared.signal.frameCount).reduce(0.0) { $0 + Double(variance.pixels[$1 * size + pixel]) }
                let mean = sums.reduce(0, +) / Double(sums.count)
                measured += sums.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } * Double(sums.count) / Double(sums.count - 1)
                samples += sums.count
            }
        }
        let ratio = measured / stated, pixelRatio = pixelMeasured / pixelStated
        print("seed \(seed): patch-summed noise variance over what the variances and correlation say: \(ratio) (\(samples) patch sums); a pixel's: \(pixelRatio)")
        XCTAssertTrue(ratio.isFinite && pixelRatio.isFinite)
        XCTAssertEqual(ratio, 1, accuracy: 0.15, "seed \(seed): \(samples) patch sums")
        XCTAssertEqual(pixelRatio, 1, accuracy: 0.15, "seed \(seed): \(samples) pixels")
    }
}
