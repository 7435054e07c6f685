import FemtofitTestSupport
import FitCore
import Foundation
import TAMData
import XCTest

/// TIFF stacks in every supported sample format, striped and tiled, and every way a file can be
/// bad: missing, not a TIFF, truncated, pages of different sizes, unsupported formats.
final class TIFFStackTests: XCTestCase {
    func randomStack(width: Int, height: Int, frames: Int, range: ClosedRange<Double>, seed: UInt64) -> ImageStack {
        var r = SeededRandom(seed: seed)
        return ImageStack(width: width, height: height, pixels: (0..<(width * height * frames)).map { _ in Float(r.uniform(range).rounded()) })
    }

    func testEveryFormatRoundTrips() throws {
        let folder = TemporaryFolder()
        let cases: [(TIFFStack.SampleFormat, ClosedRange<Double>)] = [
            (.uint8, 0...255), (.uint16, 0...65535), (.int16, -30000...30000), (.uint32, 0...4e6), (.int32, -4e6...4e6), (.float32, -1e3...1e3)]
        for (index, (format, range)) in cases.enumerated() {
            for tile in [nil, 16] as [Int?] {
                let stack = randomStack(width: 37, height: 21, frames: 3, range: range, seed: freshSeed(UInt64(index)))
                let path = folder.file("stack-\(index)-\(tile ?? 0).tif")
                try TIFFStack.write(stack, to: path, format: format, description: "{\"test\":true}", tileSize: tile)
                let back = try TIFFStack.read(path)
                XCTAssertEqual(back, stack, "\(format), tile \(tile.map(String.init) ?? "none")")
                XCTAssertEqual(try TIFFStack.description(path), "{\"test\":true}")
            }
        }
    }

    func testMissingFileAndNotATIFF() throws {
        let folder = TemporaryFolder()
        XCTAssertThrowsError(try TIFFStack.read(folder.file("nothing.tif"))) { error in
            XCTAssertTrue("\(error)".contains("nothing.tif") && "\(error)".contains("no such file"), "\(error)")
        }
        let text = folder.file("notes.tif")
        try "these are not pixels\n".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TIFFStack.read(text)) { error in
            XCTAssertTrue("\(error)".contains("notes.tif") && "\(error)".contains("not a readable TIFF"), "\(error)")
        }
    }

    func testTruncatedTIFFsAreReportedNotShortened() throws {
        let folder = TemporaryFolder()
        let stack = randomStack(width: 32, height: 32, frames: 6, range: 0...1000, seed: 3)
        let path = folder.file("whole.tif")
        try TIFFStack.write(stack, to: path, format: .uint16)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for fraction in [0.3, 0.55, 0.8, 0.97] {
            let cut = folder.file("cut-\(fraction).tif")
            try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: cut))
            XCTAssertThrowsError(try TIFFStack.read(cut), "cut at \(fraction)") { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("cut-\(fraction).tif"), text)
                XCTAssertTrue(text.contains("truncated") || text.contains("not a readable TIFF"), text)
            }
        }
    }

    func testPagesOfDifferentSizesAreRefusedNamingThePage() throws {
        let folder = TemporaryFolder()
        let path = folder.file("mixed.tif")
        try TIFFStack.write(pages: [randomStack(width: 20, height: 20, frames: 1, range: 0...9, seed: 1),
                                    randomStack(width: 20, height: 20, frames: 1, range: 0...9, seed: 2),
                                    randomStack(width: 24, height: 20, frames: 1, range: 0...9, seed: 3)], to: path)
        XCTAssertThrowsError(try TIFFStack.read(path)) { error in
            XCTAssertTrue("\(error)".contains("page 3 is 24x20 but page 1 is 20x20"), "\(error)")
        }
    }

    func testWritesAreAtomic() throws {
        let folder = TemporaryFolder()
        let path = folder.file("out.tif")
        try TIFFStack.write(randomStack(width: 8, height: 8, frames: 2, range: 0...9, seed: 1), to: path)
        // A write that fails part-way leaves the earlier file whole and no temporary behind.
        XCTAssertThrowsError(try AtomicFile.write(to: path) { temporary in
            try "partial".write(toFile: temporary, atomically: false, encoding: .utf8)
            throw TAMDataError(path, "disk full")
        })
        XCTAssertEqual(try TIFFStack.read(path).frameCount, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["out.tif"])
    }
}
