import Simulation
import Transport
import FemtofitTestSupport
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData
import XCTest

/// The simulator's truth, and fitting whole simulated stacks back to it.
final class SimulationAndStackFitTests: XCTestCase {
    func testTransportTruthIsContinuousWithThePapersNumbers() {
        let truth = TransportTruth()
        // 102 cm^2/s for 300 fs: MSD 2 D t = 6120 nm^2, a ~78 nm transport length (~26 dots of 3 nm).
        XCTAssertEqual(truth.msd(at: 300), 6120, accuracy: 1e-9)
        XCTAssertEqual(truth.msd(at: 300).squareRoot(), 78.2, accuracy: 0.1)
        for t in [truth.bandEnd, truth.thermalStart] {
            XCTAssertEqual(truth.msd(at: t * (1 - 1e-9)), truth.msd(at: t * (1 + 1e-9)), accuracy: 1e-4 * truth.msd(at: t))
        }
        XCTAssertEqual(truth.msd(at: -50), 0)
        XCTAssertGreaterThan(truth.sigma(at: 600_000), 500, "the spot spreads past 500 nm within the stack")
    }

    func testSimulatorIsReproducibleAndFitsRecoverTheTruth() throws {
        var simulator = TAMSimulator()
        // Bright enough for the 600 ps frames: the integral is conserved, so their peak is ~1/900 of the first's.
        simulator.amplitude = 50_000
        simulator.seed = freshSeed(1) % 1000
        let (stack, truth) = try simulator.run()
        let again = try simulator.run()
        XCTAssertEqual(again.stack, stack, "the same seed gives the same stack")
        XCTAssertEqual(stack.frameCount, simulator.delays.count)
        // Counts: MLE, whose standard errors are honest for them (see RecoveryTests).
        let results = try StackFitter(model: .gauss2DPixelated, settings: FitSettings(estimator: .poissonMLE), engine: FitEngine()).fit(stack, source: "simulated")
        for (r, t) in zip(results, truth) {
            XCTAssertEqual(r.state, .converged, "frame \(r.frame)")
            let sigmaNm = r.parameters[3] * simulator.pixelSize
            XCTAssertEqual(sigmaNm, t.sigmaNm, accuracy: max(5 * r.standardErrors[3] * simulator.pixelSize, 0.01 * t.sigmaNm), "frame \(r.frame)")
            XCTAssertEqual(r.parameters[1] * simulator.pixelSize, t.x0Nm, accuracy: max(5 * r.standardErrors[1] * simulator.pixelSize, 5),
                           "x0 in frame coordinates, frame \(r.frame)")
            // The ROI grows with the spot and always holds +-3.5 sigma.
            XCTAssertGreaterThanOrEqual(Double(r.roi.width), min(Double(stack.width), 7 * t.sigmaNm / simulator.pixelSize), "frame \(r.frame)")
        }
        XCTAssertLessThan(results.first!.roi.width, results.last!.roi.width)
    }

    func testNaNPixelsAreMaskedAndEmptyFramesReported() throws {
        var simulator = TAMSimulator()
        simulator.delays = [0, 100, 1000]
        var (stack, _) = try simulator.run()
        // Dead pixels near the spot in frame 1, and frame 2 wiped out.
        stack.pixels[1 * stack.pixelsPerFrame + 48 * stack.width + 45] = .nan
        stack.pixels[1 * stack.pixelsPerFrame + 50 * stack.width + 50] = .infinity
        for k in 0..<stack.pixelsPerFrame { stack.pixels[2 * stack.pixelsPerFrame + k] = .nan }
        let results = try StackFitter(engine: FitEngine()).fit(stack, source: "dead-pixels.tif")
        XCTAssertEqual(results[0].state, .converged)
        XCTAssertEqual(results[0].maskedPixels, 0)
        XCTAssertEqual(results[1].state, .converged)
        XCTAssertEqual(results[1].maskedPixels, 2)
        XCTAssertEqual(results[2].state, .invalidInput)
        XCTAssertNotNil(results[2].problem)
    }

    func testMLEOnNegativeDataIsRefusedNamingFrameAndPixel() throws {
        var simulator = TAMSimulator()
        simulator.delays = [0, 100]
        var (stack, _) = try simulator.run()
        stack.pixels[stack.pixelsPerFrame + 3 * stack.width + 7] = -2
        XCTAssertThrowsError(try StackFitter(settings: FitSettings(estimator: .poissonMLE), engine: FitEngine()).fit(stack, source: "dtt.tif")) { error in
            XCTAssertTrue("\(error)".contains("dtt.tif: frame 1, pixel (7, 3) is negative"), "\(error)")
        }
    }

    func testNegativeSpotsAndNonSquareFixedROIs() throws {
        var simulator = TAMSimulator()
        simulator.width = 80; simulator.height = 50
        simulator.delays = [0, 300, 3000]
        simulator.amplitude = -800
        simulator.noise = .gaussian(sigma: 5)
        let (stack, truth) = try simulator.run()
        let results = try StackFitter(roi: .fixed(width: 31, height: 21), engine: FitEngine()).fit(stack, source: "pia")
        for (r, t) in zip(results, truth) {
            XCTAssertEqual(r.state, .converged)
            XCTAssertEqual(r.roi.width, 31); XCTAssertEqual(r.roi.height, 21)
            XCTAssertLessThan(r.parameters[0], 0, "a photo-induced absorption spot is negative")
            XCTAssertEqual(r.parameters[2] * simulator.pixelSize, t.y0Nm, accuracy: 15)
        }
    }

    func testOutputColumnsAndUnits() throws {
        var simulator = TAMSimulator()
        simulator.delays = [0, 50]
        let (stack, _) = try simulator.run()
        let results = try StackFitter(model: .gauss2DElliptic, engine: FitEngine()).fit(stack, source: "s")
        let nm = FitColumns(model: .gauss2DElliptic, pixelSize: 55.6, hasDelays: true, isGrid: false)
        XCTAssertEqual(nm.names, ["index", "delay_fs", "amplitude", "x0_nm", "y0_nm", "sigma_x_nm", "sigma_y_nm", "offset",
                                  "amplitude_err", "x0_nm_err", "y0_nm_err", "sigma_x_nm_err", "sigma_y_nm_err", "offset_err",
                                  "state", "chi2", "iterations"])
        let folder = NSTemporaryDirectory() + "femtofit-columns-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = FitRun(fitter: StackFitter(model: .gauss2DElliptic, engine: FitEngine()), pixelSize: 55.6, roiDescription: "auto")
        _ = try run.run(DelayLabelledSource(ImageStackSource(stack, name: "s", roi: .automatic), delays: [0, 50]), into: folder, hasDelays: true)
        let rows = try String(contentsOfFile: folder + "/fits.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(String(rows[0]), nm.names.joined(separator: ","))
        let first = rows[1].split(separator: ",")
        XCTAssertEqual(Double(first[3])!, results[0].parameters[1] * 55.6, accuracy: 1e-3)
        XCTAssertEqual(first[14], "converged")
        let px = FitColumns(model: .gauss2D, pixelSize: nil, hasDelays: false, isGrid: false)
        XCTAssertEqual(px.names.prefix(5), ["index", "amplitude", "x0_px", "y0_px", "sigma_px"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/fits.json"))) as! [String: Any]
        let meta = json["metadata"] as! [String: Any]
        XCTAssertEqual(meta["femtofit_version"] as? String, FemtofitVersion.current)
        XCTAssertEqual(meta["pixel_size_nm"] as? Double, 55.6)
        XCTAssertEqual((json["run"] as! [String: Any])["fits"] as? Int, 2)
    }
}
