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
        let map = try KineticsMap(stack, delays: delays, engine: FitEngine(backend: ReferenceBackend()), source: "test")
        var checked = 0
        for p in 0..<(size * size) {
            let context = "seed \(seed), pixel \(p % size),\(p / size): tau \(map.lifetimeFs[p]) ± \(map.lifetimeErrorFs[p]) (truth \(truthTau[p])), amplitude \(map.amplitude[p])"
            if truthAmplitude[p] > 3e-3 {
                XCTAssertEqual(Double(map.lifetimeFs[p]), truthTau[p], accuracy: max(5 * Double(map.lifetimeErrorFs[p]), 0.02 * truthTau[p]), context)
                XCTAssertEqual(Double(map.timeZeroFs[p]), 0, accuracy: max(5 * Double(map.timeZeroErrorFs[p]), 5), context)
                XCTAssertEqual(Double(map.amplitude[p]), truthAmplitude[p], accuracy: 0.05 * truthAmplitude[p], context)
                checked += 1
            }
            if truthAmplitude[p] < 2e-5 {
                XCTAssertTrue(map.lifetimeFs[p].isNaN && map.amplitude[p].isNaN && map.timeZeroFs[p].isNaN, "no signal, so masked: " + context)
            }
        }
        XCTAssertGreaterThan(checked, 20)
        XCTAssertGreaterThan(map.maskedPixels, 0)
        let path = NSTemporaryDirectory() + "femtofit-kinetics-\(UUID().uuidString).tif"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try map.write(to: path, pixelSize: 55.6)
        let back = try TIFFStack.read(path)
        XCTAssertEqual(back.frameCount, 6)
        XCTAssertEqual(Array(back.frame(1)).map { $0.isNaN ? -1 : $0 }, map.lifetimeFs.map { $0.isNaN ? -1 : $0 })
        XCTAssertEqual(try TIFFStack.imageJLabels(path), KineticsMap.pageLabels)
    }

    func testMismatchedDelaysAreRefused() {
        let stack = ImageStack(width: 2, height: 2, pixels: [Float](repeating: 1, count: 4 * 8))
        XCTAssertThrowsError(try KineticsMap(stack, delays: [1, 2, 3], source: "s.tif")) { XCTAssertTrue("\($0)".contains("s.tif") && "\($0)".contains("8 frames"), "\($0)") }
    }
}
