import Foundation
import TextInput

/// A comma-separated file with a header line, as femtofit writes them or as a spreadsheet saves
/// them (quoted fields, a byte-order mark, CRLF line ends: `CSVRecords`, `TextFile`), read with
/// errors that name the file, the line and the column. `init` holds every row; `forEachRow`
/// hands them over one at a time (a fits.csv of 10^6 rows held as fields is hundreds of MB).
struct CSVTable {
    var source: String
    var header: [String]
    var rows: [[String]]
    /// The line each row is on, for messages.
    var lines: [Int]

    init(text: String, source: String) throws {
        var header: [String] = [], rows: [[String]] = [], lines: [Int] = []
        try Self.forEachRow(text: text, source: source, header: { header = $0 }) { row in
            rows.append(row.fields)
            lines.append(row.line)
        }
        self.source = source
        self.header = header
        self.rows = rows
        self.lines = lines
    }

    init(path: String) throws {
        try self.init(text: try Self.text(path), source: path)
    }

    /// The text of the file at `path`, or an error that names it.
    static func text(_ path: String) throws -> String {
        do { return try TextFile.read(path) } catch {
            throw TransportError.badInput("\(path): \(error)")
        }
    }

    /// Reads `text`: its header to `header`, then each row to `body`, checked for its field count.
    static func forEachRow(text: String, source: String, header: ([String]) throws -> Void, _ body: (CSVRow) throws -> Void) throws {
        var columns: [String]?
        do {
            try CSVRecords.forEach(TextFile.normalised(text)) { record in
                guard let names = columns else {
                    columns = record.fields
                    try header(record.fields)
                    return
                }
                guard record.fields.count == names.count else {
                    throw TransportError.badInput("\(source): line \(record.line) has \(record.fields.count) fields, the header \(names.count); the file is truncated or was edited")
                }
                try body(CSVRow(source: source, header: names, fields: record.fields, line: record.line))
            }
        } catch let unclosed as CSVRecords.UnclosedQuote {
            throw TransportError.badInput("\(source): line \(unclosed.line) opens a quoted field that is never closed; the file is truncated or was edited")
        }
        guard columns != nil else { throw TransportError.badInput("\(source): is empty; expected a header line and one row per frame") }
    }

    func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// Row `row` (from 0), to read its fields.
    func row(_ row: Int) -> CSVRow { CSVRow(source: source, header: header, fields: rows[row], line: lines[row]) }

    func number(_ row: Int, _ column: Int) throws -> Double { try self.row(row).number(column) }
    func wholeNumber(_ row: Int, _ column: Int) throws -> Int { try self.row(row).wholeNumber(column) }
    func seriesKey(_ row: Int) throws -> FitsTable.SeriesKey { try self.row(row).seriesKey() }
}

/// One row of a `CSVTable`, read with errors that name the file, its line and the column.
struct CSVRow {
    let source: String
    let header: [String]
    let fields: [String]
    let line: Int

    func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The number in `column`; "nan" reads as NaN.
    func number(_ column: Int) throws -> Double {
        let f = fields[column].lowercased()
        if f == "nan" { return .nan }
        guard let v = Double(f) else {
            throw TransportError.badInput("\(source): line \(line), column \(header[column]): '\(fields[column])' is not a number")
        }
        return v
    }

    /// A whole number (an index), refused when it is not one.
    func wholeNumber(_ column: Int) throws -> Int {
        let v = try number(column)
        guard v.isFinite, v == v.rounded(), abs(v) < 1e15 else {
            throw TransportError.badInput("\(source): line \(line), column \(header[column]): '\(fields[column])' is not a whole number")
        }
        return Int(v)
    }

    /// The series the row belongs to, from the optional fluence, wavelength_nm and spot columns.
    func seriesKey() throws -> FitsTable.SeriesKey {
        FitsTable.SeriesKey(fluence: try column("fluence").map { try number($0) },
                            wavelengthNm: try column("wavelength_nm").map { try number($0) },
                            spot: try column("spot").map { try wholeNumber($0) })
    }
}

/// The frames `shape.csv` flags as not Gaussian, per series (delays in fs).
public enum ShapeFlags {
    public static func read(_ path: String) throws -> [FitsTable.SeriesKey: (flagged: [Double], total: Int)] {
        try flags(CSVTable(path: path), source: path)
    }

    /// The same from shape.csv's text (or text in its columns: series columns, delay_fs, gaussian).
    public static func read(csv text: String, source: String) throws -> [FitsTable.SeriesKey: (flagged: [Double], total: Int)] {
        try flags(CSVTable(text: text, source: source), source: source)
    }

    static func flags(_ table: CSVTable, source path: String) throws -> [FitsTable.SeriesKey: (flagged: [Double], total: Int)] {
        guard let ok = table.column("gaussian") else { throw TransportError.badInput("\(path): has no gaussian column; is it femtofit's shape.csv?") }
        let delay = table.column("delay_fs")
        var result: [FitsTable.SeriesKey: (flagged: [Double], total: Int)] = [:]
        for row in table.rows.indices {
            let key = try table.seriesKey(row)
            var entry = result[key] ?? ([], 0)
            entry.total += 1
            if table.rows[row][ok] == "false" { entry.flagged.append(try delay.map { try table.number(row, $0) } ?? Double(row)) }
            result[key] = entry
        }
        return result
    }
}
