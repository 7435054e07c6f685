import FitCore
import Foundation
import TAMData
import XCTest

/// Raw ROI files and delay files, and their errors.
final class InputFileTests: XCTestCase {
    func testRawROIs() throws {
        let folder = TemporaryFolder()
        let values = (0..<(15 * 15 * 4)).map { Float($0) * 0.5 }
        let path = folder.file("rois.raw")
        try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        let stack = try RawStack.read(path, width: 15, height: 15)
        XCTAssertEqual(stack.frameCount, 4)
        XCTAssertEqual(stack.pixels, values)
        XCTAssertThrowsError(try RawStack.read(path, width: 16, height: 15)) { error in
            XCTAssertTrue("\(error)".contains("rois.raw") && "\(error)".contains("not a whole number of 16x15"), "\(error)")
        }
        XCTAssertThrowsError(try RawStack.read(folder.file("none.raw"), width: 15, height: 15)) {
            XCTAssertTrue("\($0)".contains("no such file"))
        }
    }

    func testDelayFiles() throws {
        let folder = TemporaryFolder()
        let good = folder.file("delays.txt")
        try "# delays\n0\n10.5\n\n-20\n1e5\n".write(toFile: good, atomically: true, encoding: .utf8)
        XCTAssertEqual(try DelayFile.read(good, expectedCount: 4), [0, 10.5, -20, 1e5])
        XCTAssertThrowsError(try DelayFile.read(good, expectedCount: 5)) { error in
            XCTAssertTrue("\(error)".contains("holds 4 delays but the data have 5 frames"), "\(error)")
        }
        let bad = folder.file("bad.txt")
        try "0\n10\nten\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DelayFile.read(bad)) { error in
            XCTAssertTrue("\(error)".contains("line 3") && "\(error)".contains("'ten'"), "\(error)")
        }
        XCTAssertThrowsError(try DelayFile.read(folder.file("missing.txt")))
    }
}
