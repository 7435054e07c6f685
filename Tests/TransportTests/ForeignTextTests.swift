import Foundation
import TextInput
import Transport
import XCTest

/// Text from other platforms and tools: a byte-order mark, CRLF or CR line ends, and RFC 4180
/// quoting read like femtofit's own files.
final class ForeignTextTests: XCTestCase {
    func testLineEndsAndByteOrderMark() {
        XCTAssertEqual(TextFile.normalised("\u{FEFF}a\r\nb\rc\n"), "a\nb\nc\n")
        XCTAssertEqual(TextFile.lines(TextFile.normalised("\u{FEFF}# delays\r\n100\r\n\r\n200\r\n")), ["# delays", "100", "", "200"])
        XCTAssertEqual(TextFile.normalised("plain\n"), "plain\n")
        XCTAssertEqual(TextFile.withoutByteOrderMark(Data([0xEF, 0xBB, 0xBF, 0x7B, 0x7D])), Data([0x7B, 0x7D]))
    }

    /// Streamed lines match `TextFile.lines` on every line end, with a byte-order mark, across
    /// the reader's chunk boundaries, and with or without a final line end.
    func testStreamedLinesMatchTheWholeText() throws {
        let folder = NSTemporaryDirectory() + "femtofit-lines-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A long line puts a CRLF pair across the 1 MiB chunk boundary in one of the cases.
        let long = String(repeating: "x", count: (1 << 20) - 1)
        let cases = ["\u{FEFF}a\r\nb\rc\n", "a\n\nb", "", "\n", long + "\r\n" + "tail\r\nlast", "é,ü\r\r\n"]
        for (k, text) in cases.enumerated() {
            let path = folder + "/\(k).txt"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let reader = try TextLines(path: path)
            var lines: [String] = []
            while let line = try reader.next() { lines.append(line) }
            XCTAssertEqual(lines, TextFile.lines(TextFile.normalised(text)).map(String.init), "case \(k)")
            XCTAssertEqual(reader.lineNumber, lines.count)
        }
        try Data([0x61, 0x0A, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: folder + "/latin.txt"))
        let latin = try TextLines(path: folder + "/latin.txt")
        XCTAssertEqual(try latin.next(), "a")
        XCTAssertThrowsError(try latin.next()) { XCTAssertEqual($0 as? TextFile.ReadFailure, .notUTF8) }
        XCTAssertThrowsError(try TextLines(path: folder + "/absent.txt")) { XCTAssertEqual($0 as? TextFile.ReadFailure, .missing) }
        XCTAssertThrowsError(try TextLines(path: folder)) { XCTAssertEqual($0 as? TextFile.ReadFailure, .unreadable("it is a folder, not a file")) }
    }

    func testQuotedFields() throws {
        let text = "\"index\", \"delay_fs\" ,name\n1,\"2,5\",\"say \"\"hi\"\"\"\n\n3, 4 ,\"two\nlines\"\n\"\",,x"
        let records = try CSVRecords.parse(text)
        XCTAssertEqual(records.map(\.fields), [["index", "delay_fs", "name"], ["1", "2,5", "say \"hi\""], ["3", "4", "two\nlines"], ["", "", "x"]])
        XCTAssertEqual(records.map(\.line), [1, 2, 4, 6])
        XCTAssertThrowsError(try CSVRecords.parse("a,b\n1,\"open\n2,3\n")) { XCTAssertEqual(($0 as? CSVRecords.UnclosedQuote)?.line, 2) }
    }

    /// fits.csv as a spreadsheet saves it (a byte-order mark, CRLF, every header cell quoted)
    /// gives the same series as femtofit's own text; a cut-off quote names its line.
    func testFitsCSVFromASpreadsheet() throws {
        let w = SimulatedWidths(.pureFilm, precision: 0.3, seed: 3)
        var plain = "index,delay_fs,sigma_nm,sigma_nm_err,state\n"
        for k in w.delays.indices { plain += "\(k),\(w.delays[k]),\(w.sigmas[k]),\(w.errors[k]),converged\n" }
        var lines = plain.split(separator: "\n").map(String.init)
        lines[0] = lines[0].split(separator: ",").map { "\"\($0)\"" }.joined(separator: ",")
        let foreign = "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
        let expected = try FitsTable(csv: plain, source: "fits.csv", pixelSize: nil)
        let read = try FitsTable(csv: foreign, source: "fits.csv", pixelSize: nil)
        XCTAssertEqual(read.series.count, 1)
        XCTAssertEqual(read.series[0].delays, expected.series[0].delays)
        XCTAssertEqual(read.series[0].sigmas.map(\.bitPattern), expected.series[0].sigmas.map(\.bitPattern))
        XCTAssertEqual(read.series[0].errors.map(\.bitPattern), expected.series[0].errors.map(\.bitPattern))
        XCTAssertThrowsError(try FitsTable(csv: plain + "\"7,8", source: "cut.csv", pixelSize: nil)) {
            XCTAssertTrue("\($0)".contains("cut.csv: line \(w.delays.count + 2) opens a quoted field"), "\($0)")
        }
    }
}
