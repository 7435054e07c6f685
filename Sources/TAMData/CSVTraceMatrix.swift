import Foundation
import TextInput

/// A CSV matrix of kinetics traces (`TraceMatrix`'s format: the first row the delays in fs after
/// one label cell, then one row per wavelength: the wavelength in nm, then its values; empty cells
/// and `nan` missing; `#` lines comments; comma, semicolon or tab), read a block of rows at a
/// time: the file is counted once when opened and then read forward, so a run holds one block of
/// it, not the whole text. Every problem names the file, the line and what to do.
public final class CSVTraceMatrix: TraceSource {
    public let path: String
    public let delays: [Double]
    public let traceCount: Int
    /// The labels of the traces read so far (8 bytes a trace).
    private var wavelengths: [Double] = []
    private var lines: TextLines
    /// The next trace `lines` gives.
    private var next = 0

    public init(_ path: String) throws {
        self.path = path
        let reader = try Self.open(path)
        guard let (number, header) = try Self.nextRow(reader, path) else {
            throw TAMDataError(path, "is empty; a trace matrix has a first row of delays in fs and one row per wavelength")
        }
        var delays: [Double] = []
        for (k, cell) in header.dropFirst().enumerated() {
            let word = cell.trimmingCharacters(in: .whitespaces)
            guard let value = Double(word), value.isFinite else {
                throw TAMDataError(path, "line \(number), column \(k + 2) reads '\(word.prefix(30))', not a delay; the first row holds the delays in fs after one label cell")
            }
            delays.append(value)
        }
        guard delays.count >= 2 else { throw TAMDataError(path, "line \(number) holds \(delays.count) delays; a trace needs at least 2") }
        guard zip(delays, delays.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TAMDataError(path, "line \(number): the delays must rise strictly from column to column")
        }
        self.delays = delays
        // The count, so that a run knows its size before it starts.
        var count = 0
        while try Self.nextRow(reader, path) != nil { count += 1 }
        guard count > 0 else { throw TAMDataError(path, "holds delays but no traces; add one row per wavelength") }
        traceCount = count
        lines = reader
        try rewind()
    }

    static func open(_ path: String) throws -> TextLines {
        do { return try TextLines(path: path) } catch {
            throw TAMDataError(path, error == .missing ? "no such file; check the INPUT path" : error.description)
        }
    }

    /// The next row that is not empty or a comment, split at its delimiter, with its line number.
    static func nextRow(_ lines: TextLines, _ path: String) throws -> (Int, [Substring])? {
        while true {
            let line: String?
            do { line = try lines.next() } catch { throw TAMDataError(path, "line \(lines.lineNumber + 1) " + error.description) }
            guard let line else { return nil }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let delimiter: Character = line.contains(",") ? "," : (line.contains(";") ? ";" : "\t")
            return (lines.lineNumber, line.split(separator: delimiter, omittingEmptySubsequences: false))
        }
    }

    /// Back to the first trace.
    private func rewind() throws {
        lines = try Self.open(path)
        _ = try Self.nextRow(lines, path)
        next = 0
    }

    public func labels(_ range: Range<Int>) throws -> [Double] {
        if range.upperBound > wavelengths.count { _ = try read(wavelengths.count..<range.upperBound) }
        return Array(wavelengths[range])
    }

    /// Traces `range`; reading forward from the last block is what the file is laid out for,
    /// an earlier range reads the file again from the top.
    public func read(_ range: Range<Int>) throws -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= traceCount, "traces within the matrix")
        if range.lowerBound < next { try rewind() }
        let m = delays.count
        var values: [Float] = []
        values.reserveCapacity(range.count * m)
        while next < range.upperBound {
            guard let (line, cells) = try Self.nextRow(lines, path) else {
                throw TAMDataError(path, "ends after \(next) traces, where \(traceCount) were counted; was it changed while being read?")
            }
            guard cells.count == m + 1 else {
                throw TAMDataError(path, "line \(line) has \(cells.count) cells, not \(m + 1) (a wavelength and one value per delay); check that the file was written whole")
            }
            let label = cells[0].trimmingCharacters(in: .whitespaces)
            guard let wavelength = Double(label), wavelength.isFinite else {
                throw TAMDataError(path, "line \(line) starts with '\(label.prefix(30))', not a wavelength in nm")
            }
            if next == wavelengths.count { wavelengths.append(wavelength) }
            let wanted = next >= range.lowerBound
            next += 1
            guard wanted else { continue }
            for (k, cell) in cells.dropFirst().enumerated() {
                let word = cell.trimmingCharacters(in: .whitespaces)
                if word.isEmpty || word.lowercased() == "nan" { values.append(.nan); continue }
                guard let value = Float(word), value.isFinite else {
                    throw TAMDataError(path, "line \(line), column \(k + 2) reads '\(word.prefix(30))', not a number (leave the cell empty or write nan for a missing point)")
                }
                values.append(value)
            }
        }
        return values
    }
}
