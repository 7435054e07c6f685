import FemtofitTestSupport
import FitCore
import Foundation
import Pipeline
import TAMData
import XCTest

/// Bad pixels (listed in dataset.json, or hot in the pump-off frames) are masked out of every
/// ΔT/T frame; a later spot is lined up with spot 0.
final class BadPixelAndSpotRegistrationTests: XCTestCase {
    static let size = 24

    /// A Gaussian spot on a grid, amplitude `a`, centred at (cx, cy).
    static func spot(_ a: Double, cx: Double, cy: Double, sigma: Double = 3) throws -> [Float] {
        try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: [a, cx, cy, sigma, 0], coordinates: .grid(width: size, height: size),
                                     pointCount: size * size).values.map { Float($0) }
    }

    func testListedAndHotPixelsAreMasked() throws {
        let n = Self.size, delays: [Double] = [-100, 100, 200]
        var random = SeededRandom(seed: freshSeed(0xBAD))
        var off: [Float] = [], on: [Float] = []
        for d in delays.indices {
            let signal = try Self.spot(delays[d] > 0 ? 0.05 : 0, cx: 11.3, cy: 12.6)
            for y in 0..<n {
                for x in 0..<n {
                    var probe = Float(1000 + 10 * x + 5 * y) + Float(3 * random.normal())
                    if x == 5 && y == 7 { probe = 9000 }  // hot pixel
                    off.append(probe)
                    on.append(probe * (1 + signal[y * n + x]))
                }
            }
        }
        var frames: [FrameEntry] = []
        for d in delays.indices {
            frames.append(FrameEntry(delay: d, run: 0, kind: .pumpOn, file: "on.tif", page: d))
            frames.append(FrameEntry(delay: d, run: 0, kind: .pumpOff, file: "off.tif", page: d))
        }
        var manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: n, frameHeight: n, axes: ScanAxes(delayFs: delays), frames: frames)
        manifest.badPixels = [[10, 10]]
        let folder = TemporaryFolder()
        try Dataset.write(manifest, stacks: ["on.tif": ImageStack(width: n, height: n, pixels: on), "off.tif": ImageStack(width: n, height: n, pixels: off)],
                          to: folder.path)
        let dataset = try Dataset.open(folder.path)
        let series = DifferentialStack.series(of: dataset)[0]
        let result = try Preprocessing().run(dataset, series: series)
        let masked = (0..<(n * n)).filter { !result.signal.pixels[n * n + $0].isFinite }
        XCTAssertEqual(Set(masked), [7 * n + 5, 10 * n + 10], "\(result.notes)")
        XCTAssertTrue(result.notes.contains { $0.contains("2 masked (1 listed in dataset.json, 1 found") }, "\(result.notes)")
        var keep = Preprocessing()
        keep.maskBadPixels = false
        let unmasked = try keep.run(dataset, series: series)
        XCTAssertTrue(unmasked.signal.pixels[n * n + 7 * n + 5].isFinite)

        // A listed pixel outside the frame is refused, naming it.
        manifest.badPixels = [[n, 0]]
        let other = TemporaryFolder()
        try Data(JSONEncoder().encode(manifest)).write(to: URL(fileURLWithPath: other.file("dataset.json")))
        try TIFFStack.write(ImageStack(width: n, height: n, pixels: on), to: other.file("on.tif"))
        try TIFFStack.write(ImageStack(width: n, height: n, pixels: off), to: other.file("off.tif"))
        XCTAssertThrowsError(try Dataset.open(other.path)) { XCTAssertTrue("\($0)".contains("bad_pixels[0]"), "\($0)") }
    }

    /// Spot 1's pump spot sits (1.3, -0.7) px from spot 0's: after registration its stacks put the
    /// spot on the same pixels, within 0.05 px.
    func testALaterSpotIsLinedUpWithSpotZero() throws {
        let n = Self.size, delays: [Double] = [-100, 100, 200, 400]
        var stacks: [String: ImageStack] = [:], frames: [FrameEntry] = []
        for (spot, centre) in [(0, (10.4, 11.2)), (1, (11.7, 10.5))] {
            var pixels: [Float] = []
            for t in delays { pixels += try Self.spot(t > 0 ? 0.05 / (1 + t / 400) : 0, cx: centre.0, cy: centre.1, sigma: 2.5 + t / 400) }
            stacks["spot\(spot).tif"] = ImageStack(width: n, height: n, pixels: pixels)
            for d in delays.indices { frames.append(FrameEntry(delay: d, spot: spot, run: 0, kind: .dTT, file: "spot\(spot).tif", page: d)) }
        }
        let manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: n, frameHeight: n,
                                       axes: ScanAxes(delayFs: delays, spot: [.init(xUm: 0, yUm: 0), .init(xUm: 5, yUm: 0)]), frames: frames)
        let folder = TemporaryFolder()
        try Dataset.write(manifest, stacks: stacks, to: folder.path)
        let dataset = try Dataset.open(folder.path)
        let all = DifferentialStack.series(of: dataset)
        let first = try Preprocessing().run(dataset, series: all[0])
        let second = try Preprocessing().run(dataset, series: all[1], spotReference: first.summedSignal)
        XCTAssertTrue(second.notes.contains { $0.contains("spot 1 against spot 0") && $0.contains("moved onto it") }, "\(second.notes)")
        let residual = try Registration.shift(reference: first.summedSignal, moving: second.summedSignal)
        XCTAssertEqual(residual.dx, 0, accuracy: 0.05)
        XCTAssertEqual(residual.dy, 0, accuracy: 0.05)
        var off = Preprocessing()
        off.registerSpots = false
        let unmoved = try off.run(dataset, series: all[1], spotReference: first.summedSignal)
        let before = try Registration.shift(reference: first.summedSignal, moving: unmoved.summedSignal)
        XCTAssertEqual(before.dx, 1.3, accuracy: 0.05)
        XCTAssertEqual(before.dy, -0.7, accuracy: 0.05)
    }
}
