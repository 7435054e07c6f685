import FitCore
import FitEngine
import Foundation
import Pipeline
import Simulation
import TAMData
import XCTest
import FemtofitTestSupport

/// The fitted widths' standard errors through the raw-data path (pump-on/off frames, three
/// runs, preprocessing, `gauss2d-pixelated` weighed by the run scatter, errors completed by
/// `MeasuredVariances`) are as large as the widths' scatter about the truth.
final class WidthErrorTests: XCTestCase {
    /// The raw-path coverage test's datasets (90 fs response, 20 fs steps to 400 fs, 12 frames
    /// to 100 ps), frames after 300 fs, 16 datasets. Without drift, the widths' z about the truth
    /// has rms 1 within 0.3 (measured 0.89–1.10 over six runs of 12 datasets, an sd of about
    /// 0.07 at 16; frames of one dataset share its background, so runs scatter more than their
    /// frame count says; 0.2 was under 3 sd and failed about 1 run in 100; 0.3 is 4.3 sd, and
    /// still fails the ~1.3 of widths whose errors leave out the runs' correlation). With runs
    /// drifting (0.5, -0.3) px a run, registration's bilinear move adds a constant b to every
    /// frame's sigma^2 (the MSD does not see it), so z is taken about sqrt(sigma_true^2 + b), b
    /// each dataset's weighted mean offset; without the correlation factor that rms would be ~1.3.
    func testWidthErrorsMatchTheWidthsScatter() throws {
        let seed = freshSeed(0x51D7)
        for drift in [(0.0, 0.0), (0.5, -0.3)] {
            var zs: [Double] = []
            for i in 0..<16 {
                let folder = NSTemporaryDirectory() + "femtofit-width-errors-" + UUID().uuidString
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let simulator = SimulatedRawData.resolvedRise(seed: seed &+ UInt64(1000 * i))
                let (_, truth) = try SimulatedDataset.write(simulator, runs: 3, runDriftPx: drift, to: folder)
                let dataset = try Dataset.open(folder)
                let prepared = try Preprocessing().run(dataset, series: DifferentialStack.series(of: dataset)[0])
                let measured = try XCTUnwrap(prepared.measuredVariances)
                let results = try StackFitter(model: .gauss2DPixelated, engine: FitEngine()).fit(prepared, source: folder)
                let plain = try StackFitter(model: .gauss2DPixelated, engine: FitEngine()).fit(prepared.signal, variances: prepared.variance, source: folder)
                let px = simulator.pixelSize
                var fitted: [(sigma: Double, error: Double, truth: Double)] = []
                for (f, r) in results.enumerated() where prepared.delayFs[f] > 300 && r.state == .converged {
                    // The completed errors are the plain weighted fit's, times the stated factor.
                    let points = r.roi.width * r.roi.height - r.maskedPixels
                    let factor = measured.errorFactor(chiSquare: r.chiSquare, points: points, free: ModelID.gauss2DPixelated.parameterCount)
                    XCTAssertEqual(r.standardErrors[3], plain[f].standardErrors[3] * factor, accuracy: 1e-9 * r.standardErrors[3])
                    XCTAssertGreaterThanOrEqual(factor, measured.correlation.squareRoot())
                    fitted.append((r.parameters[3] * px, r.standardErrors[3] * px, truth[f].sigmaNm))
                }
                // The offset in sigma^2, each frame weighed by its sigma^2's precision, 1/(2 sigma se)^2.
                let weights = fitted.map { 1 / ((2 * $0.sigma * $0.error) * (2 * $0.sigma * $0.error)) }
                let offset = drift == (0, 0) ? 0 : zip(fitted, weights).reduce(0) { $0 + $1.1 * ($1.0.sigma * $1.0.sigma - $1.0.truth * $1.0.truth) } / weights.reduce(0, +)
                zs += fitted.map { ($0.sigma - ($0.truth * $0.truth + offset).squareRoot()) / $0.error }
            }
            let rms = (zs.reduce(0) { $0 + $1 * $1 } / Double(zs.count)).squareRoot()
            print("seed \(seed), drift \(drift): widths' rms z \(rms) over \(zs.count) frames")
            XCTAssertGreaterThan(zs.count, 200)
            XCTAssertEqual(rms, 1, accuracy: 0.3, "seed \(seed), drift \(drift): \(zs.count) frames")
        }
    }
}
