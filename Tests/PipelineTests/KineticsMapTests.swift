import FemtofitTestSupport
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData
import XCTest

/// Per-pixel kinetics maps recover a lifetime that varies across the image, and mask the pixels
/// where there is no signal.
final class KineticsMapTests: XCTestCase {
    func testLifetimeGradientIsRecoveredAndEmptyPixelsAreMasked() throws {
        let seed = freshSeed(0x41A)
        var random = SeededRandom(seed: seed)
        let size = 16
        let delays: [Double] = [-300, -200, -100] + stride(from: -60.0, through: 400, by: 20).map { $0 } + (1...30).map { 400 * pow(250, Double($0) / 30) }
        var pixels = [Float](repeating: 0, count: size * size * delays.count)
        var truthTau = [Double](repeating: .nan, count: size * size), truthAmplitude = truthTau
        for y in 0..<size {
            for x in 0..<size {
                let r2 = Double((x - 8) * (x - 8) + (y - 8) * (y - 8))
                let a = 0.01 * exp(-r2 / (2 * 3 * 3)), tau = 1000 + 200 * Double(x)
                truthTau[y * size + x] = tau; truthAmplitude[y * size + x] = a
                let trace = try ModelEvaluation.evaluate(.kinetics1, parameters: [a, tau, 0, 20, 0], coordinates: .sharedX(delays),
                                                         pointCount: delays.count).values
                for f in delays.indices { pixels[(f * size + y) * size + x] = Float(trace[f] + 1e-4 * random.normal()) }
            }
        }
        let stack = ImageStack(width: size, height: size, pixels: pixels)
        var delivered = 0
        let map = try KineticsMap(stack, delays: delays, engine: FitEngine(backend: ReferenceBackend()), source: "test",
                                  deliver: { range, fits in
                                      XCTAssertEqual(range.lowerBound, delivered, "blocks in order")
                                      XCTAssertEqual(fits.count, range.count)
                                      delivered = range.upperBound
                                  })
        XCTAssertEqual(delivered, size * size, "every pixel's fit delivered")
        XCTAssertEqual(map.pageLabels, ["components", "amplitude_1", "lifetime_1_fs", "t0_fs", "offset",
                                        "amplitude_1_err", "lifetime_1_err_fs", "t0_err_fs", "offset_err"])
        let amplitude = try XCTUnwrap(map.page("amplitude_1")), lifetime = try XCTUnwrap(map.page("lifetime_1_fs"))
        let lifetimeError = try XCTUnwrap(map.page("lifetime_1_err_fs")), t0 = try XCTUnwrap(map.page("t0_fs"))
        let t0Error = try XCTUnwrap(map.page("t0_err_fs")), components = try XCTUnwrap(map.page("components"))
        XCTAssertTrue(map.timeZeroPerPixel, "the frames resolve the rise")
        XCTAssertEqual(map.instrumentResponseFs, 20, accuracy: 5, "the summed trace's response, held")
        var checked = 0
        for p in 0..<(size * size) {
            let context = "seed \(seed), pixel \(p % size),\(p / size): tau \(lifetime[p]) ± \(lifetimeError[p]) (truth \(truthTau[p])), amplitude \(amplitude[p])"
            if truthAmplitude[p] > 3e-3 {
                XCTAssertEqual(Double(lifetime[p]), truthTau[p], accuracy: max(5 * Double(lifetimeError[p]), 0.02 * truthTau[p]), context)
                XCTAssertEqual(Double(t0[p]), 0, accuracy: max(5 * Double(t0Error[p]), 5), context)
                XCTAssertEqual(Double(amplitude[p]), truthAmplitude[p], accuracy: 0.05 * truthAmplitude[p], context)
                XCTAssertEqual(components[p], 1, context)
                XCTAssertEqual(map.dominantLifetimeFs[p], lifetime[p], context)
                checked += 1
            }
            if truthAmplitude[p] < 2e-5 {
                XCTAssertTrue(map.pages.allSatisfy { $0[p].isNaN }, "no signal, so masked: " + context)
            }
        }
        XCTAssertGreaterThan(checked, 20)
        XCTAssertGreaterThan(map.maskedPixels, 0)
        XCTAssertEqual(map.maskedPixels, components.filter(\.isNaN).count)
        let path = NSTemporaryDirectory() + "femtofit-kinetics-\(UUID().uuidString).tif"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try map.write(to: path, pixelSize: 55.6)
        let back = try TIFFStack.read(path)
        XCTAssertEqual(back.frameCount, map.pageLabels.count)
        XCTAssertEqual(Array(back.frame(2)).map { $0.isNaN ? -1 : $0 }, lifetime.map { $0.isNaN ? -1 : $0 })
        XCTAssertEqual(try TIFFStack.imageJLabels(path), map.pageLabels)
    }

    /// With the component count chosen per pixel, a map of two-component pixels (a fast decay
    /// and a slow one of opposite sign, as a bleach over an induced absorption) keeps two in the
    /// bright pixels and recovers both lifetimes; the pages run to four components.
    func testTwoComponentPixelsAreFoundWithAutomaticCounts() throws {
        let seed = freshSeed(0x41B)
        var random = SeededRandom(seed: seed)
        let size = 8
        let delays: [Double] = [-400, -300, -200, -150] + stride(from: -100.0, through: 500, by: 25).map { $0 } + (1...40).map { 500 * pow(100, Double($0) / 40) }
        var pixels = [Float](repeating: 0, count: size * size * delays.count)
        for p in 0..<(size * size) {
            let a = 0.01 * (0.5 + Double(p % size) / Double(size))
            let trace = try ModelEvaluation.evaluate(.kinetics2, parameters: [a, 400, -0.5 * a, 8000, 0, 30, 0], coordinates: .sharedX(delays),
                                                     pointCount: delays.count).values
            for f in delays.indices { pixels[f * size * size + p] = Float(trace[f] + 2e-5 * random.normal()) }
        }
        let map = try KineticsMap(ImageStack(width: size, height: size, pixels: pixels), delays: delays, components: .automatic,
                                  engine: FitEngine(choice: .cpu, precision: .double), source: "test")
        XCTAssertEqual(map.pageLabels.count, 1 + 2 * (4 * 2 + 2))
        let components = try XCTUnwrap(map.page("components"))
        let fast = try XCTUnwrap(map.page("lifetime_1_fs")), slow = try XCTUnwrap(map.page("lifetime_2_fs"))
        var two = 0
        for p in 0..<(size * size) where components[p] == 2 {
            two += 1
            XCTAssertEqual(Double(fast[p]), 400, accuracy: 40, "seed \(seed), pixel \(p)")
            XCTAssertEqual(Double(slow[p]), 8000, accuracy: 800, "seed \(seed), pixel \(p)")
        }
        XCTAssertGreaterThanOrEqual(two, size * size * 9 / 10, "pixels kept with two components, seed \(seed): \(components)")
        // A pixel has a lifetime in the columns of its components only (inf for a long-lived one).
        for c in 1...4 {
            let page = try XCTUnwrap(map.page("lifetime_\(c)_fs"))
            for p in 0..<(size * size) {
                XCTAssertEqual(!page[p].isNaN, components[p] >= Float(c), "seed \(seed), pixel \(p), component \(c): \(page[p]), \(components[p]) components")
            }
        }
    }

    func testMismatchedDelaysAreRefused() {
        let stack = ImageStack(width: 2, height: 2, pixels: [Float](repeating: 1, count: 4 * 8))
        XCTAssertThrowsError(try KineticsMap(stack, delays: [1, 2, 3], engine: FitEngine(), source: "s.tif")) { XCTAssertTrue("\($0)".contains("s.tif") && "\($0)".contains("8 frames"), "\($0)") }
    }
}
