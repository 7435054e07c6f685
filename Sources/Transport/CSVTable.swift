import Foundation
import TextInput

/// A comma-separated file with a header line, as femtofit writes them or as a spreadsheet saves
/// them (quoted fields, a byte-order mark, CRLF line ends: `CSVRecords`, `TextFile`), read with
/// errors that name the file, the line and the column.
struct CSVTable {
    var source: String
    var header: [String]
    var rows: [[String]]
    /// The line each row is on, for messages.
    var lines: [Int]

    init(text: String, source: String) throws {
        self.source = source
        var records: [CSVRecords.Record]
        do { records = try CSVRecords.parse(TextFile.normalised(text)) } catch {
            throw TransportError.badInput("\(source): line \(error.line) opens a quoted field that is never closed; the file is truncated or was edited")
        }
        guard !records.isEmpty else { throw TransportError.badInput("\(source): is empty; expected a header line and one row per frame") }
        header = records.removeFirst().fields
        rows = []
        rows.reserveCapacity(records.count)
        for record in records {
            guard record.fields.count == header.count else {
                throw TransportError.badInput("\(source): line \(record.line) has \(record.fields.count) fields, the header \(header.count); the file is truncated or was edited")
            }
            rows.append(record.fields)
        }
        lines = records.map(\.line)
    }

    init(path: String) throws {
        let text: String
        do { text = try TextFile.read(path) } catch {
            throw TransportError.badInput("\(path): \(error)")
        }
        try self.init(text: text, source: path)
    }

    func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The number in `row` (from 0) and `column`; "nan" reads as NaN.
    func number(_ row: Int, _ column: Int) throws -> Double {
        let f = rows[row][column].lowercased()
        if f == "nan" { return .nan }
        guard let v = Double(f) else {
            throw TransportError.badInput("\(source): line \(lines[row]), column \(header[column]): '\(rows[row][column])' is not a number")
        }
        return v
    }

    /// A whole number (an index), refused when it is not one.
    func wholeNumber(_ row: Int, _ column: Int) throws -> Int {
        let v = try number(row, column)
        guard v.isFinite, v == v.rounded(), abs(v) < 1e15 else {
            throw TransportError.badInput("\(source): line \(lines[row]), column \(header[column]): '\(rows[row][column])' is not a whole number")
        }
        return Int(v)
    }

    /// The series a row belongs to, from the optional fluence, wavelength_nm and spot columns.
    func seriesKey(_ row: Int) throws -> FitsTable.SeriesKey {
        FitsTable.SeriesKey(fluence: try column("fluence").map { try number(row, $0) },
                            wavelengthNm: try column("wavelength_nm").map { try number(row, $0) },
                            spot: try column("spot").map { try wholeNumber(row, $0) })
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
