import FemtofitTestSupport
import Foundation
import TAMData
import XCTest

/// Delay files and dataset.json saved on other platforms: a byte-order mark and CRLF or CR line
/// ends read like femtofit's own.
final class ForeignTextFileTests: XCTestCase {
    func testDelayFilesWithWindowsAndOldMacLineEnds() throws {
        let folder = TemporaryFolder()
        for (name, text) in [("crlf.txt", "\u{FEFF}# delay in fs\r\n-500\r\n0\r\n\r\n1e3\r\n"), ("cr.txt", "# delay in fs\r-500\r0\r1000"),
                             ("lf.txt", "-500\n0\n1000\n")] {
            let path = folder.path + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(try DelayFile.read(path, expectedCount: 3), [-500, 0, 1000], name)
        }
        let latin1 = folder.path + "/latin1.txt"
        try Data([0x31, 0x30, 0xB5, 0x0A]).write(to: URL(fileURLWithPath: latin1))
        XCTAssertThrowsError(try DelayFile.read(latin1)) { XCTAssertTrue("\($0)".contains("latin1.txt") && "\($0)".contains("not UTF-8"), "\($0)") }
        XCTAssertThrowsError(try DelayFile.read(folder.path + "/none.txt")) { XCTAssertTrue("\($0)".contains("no such file"), "\($0)") }
        XCTAssertThrowsError(try DelayFile.read(folder.path)) { XCTAssertTrue("\($0)".contains("is a folder"), "\($0)") }
    }

    /// dataset.json with a byte-order mark and CRLF line ends opens as the same dataset.
    func testDatasetJSONWithAByteOrderMark() throws {
        let folder = TemporaryFolder()
        let n = 16
        let manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: n, frameHeight: n, axes: ScanAxes(delayFs: [0, 500]),
                                       frames: [FrameEntry(delay: 0, run: 0, kind: .dTT, file: "s.tif", page: 0),
                                                FrameEntry(delay: 1, run: 0, kind: .dTT, file: "s.tif", page: 1)])
        try Dataset.write(manifest, stacks: ["s.tif": ImageStack(width: n, height: n, pixels: [Float](repeating: 0.01, count: 2 * n * n))], to: folder.path)
        let path = folder.path + "/dataset.json"
        let plain = try Dataset.open(folder.path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try Data(("\u{FEFF}" + text.replacingOccurrences(of: "\n", with: "\r\n")).utf8).write(to: URL(fileURLWithPath: path))
        let foreign = try Dataset.open(folder.path)
        XCTAssertEqual(foreign.manifest.axes.delayFs, plain.manifest.axes.delayFs)
        XCTAssertEqual(foreign.manifest.frames.count, 2)
    }
}
