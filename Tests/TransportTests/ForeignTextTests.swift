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
