import Foundation
import TextInput

/// A matrix of kinetics traces as transient-absorption software exports it: CSV whose first row
/// is the delays in fs (its first cell a label or empty) and whose every further row is one
/// probe wavelength in nm, then that wavelength's values at each delay. Empty cells and `nan`
/// are missing points (NaN); `#` lines are comments. Delimiters: comma, semicolon or tab.
public struct TraceMatrix: Sendable, Equatable {
    /// Delays, fs, one per column.
    public var delays: [Double]
    /// One label per trace: the probe wavelength in nm (or a pixel index for maps).
    public var wavelengths: [Double]
    /// wavelengths.count x delays.count values, trace-major.
    public var values: [Float]

    public init(delays: [Double], wavelengths: [Double], values: [Float]) {
        precondition(values.count == delays.count * wavelengths.count)
        self.delays = delays
        self.wavelengths = wavelengths
        self.values = values
    }

    public var traceCount: Int { wavelengths.count }

    /// Reads `path`; every problem names the file, the line and what to do.
    public static func read(_ path: String) throws -> TraceMatrix {
        let text: String
        do { text = try TextFile.read(path) } catch {
            throw TAMDataError(path, error == .missing ? "no such file; check the INPUT path" : error.description)
        }
        let rows = TextFile.lines(text).enumerated().compactMap { number, line -> (Int, [Substring])? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
            let delimiter: Character = line.contains(",") ? "," : (line.contains(";") ? ";" : "\t")
            return (number + 1, line.split(separator: delimiter, omittingEmptySubsequences: false))
        }
        guard let header = rows.first else { throw TAMDataError(path, "is empty; a trace matrix has a first row of delays in fs and one row per wavelength") }
        var delays: [Double] = []
        for (k, cell) in header.1.dropFirst().enumerated() {
            let word = cell.trimmingCharacters(in: .whitespaces)
            guard let value = Double(word), value.isFinite else {
                throw TAMDataError(path, "line \(header.0), column \(k + 2) reads '\(word.prefix(30))', not a delay; the first row holds the delays in fs after one label cell")
            }
            delays.append(value)
        }
        guard delays.count >= 2 else { throw TAMDataError(path, "line \(header.0) holds \(delays.count) delays; a trace needs at least 2") }
        guard zip(delays, delays.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TAMDataError(path, "line \(header.0): the delays must rise strictly from column to column")
        }
        var wavelengths: [Double] = [], values: [Float] = []
        values.reserveCapacity(delays.count * (rows.count - 1))
        for (line, cells) in rows.dropFirst() {
            guard cells.count == delays.count + 1 else {
                throw TAMDataError(path, "line \(line) has \(cells.count) cells, not \(delays.count + 1) (a wavelength and one value per delay); check that the file was written whole")
            }
            let label = cells[0].trimmingCharacters(in: .whitespaces)
            guard let wavelength = Double(label), wavelength.isFinite else {
                throw TAMDataError(path, "line \(line) starts with '\(label.prefix(30))', not a wavelength in nm")
            }
            wavelengths.append(wavelength)
            for (k, cell) in cells.dropFirst().enumerated() {
                let word = cell.trimmingCharacters(in: .whitespaces)
                if word.isEmpty || word.lowercased() == "nan" { values.append(.nan); continue }
                guard let value = Float(word), value.isFinite else {
                    throw TAMDataError(path, "line \(line), column \(k + 2) reads '\(word.prefix(30))', not a number (leave the cell empty or write nan for a missing point)")
                }
                values.append(value)
            }
        }
        guard !wavelengths.isEmpty else { throw TAMDataError(path, "holds delays but no traces; add one row per wavelength") }
        return TraceMatrix(delays: delays, wavelengths: wavelengths, values: values)
    }

    /// Writes the matrix in the format `read` takes, atomically.
    public func write(to path: String) throws {
        var text = "wavelength_nm/delay_fs," + delays.map { "\($0)" }.joined(separator: ",") + "\n"
        let m = delays.count
        for (i, wavelength) in wavelengths.enumerated() {
            text += "\(wavelength)," + values[i * m ..< (i + 1) * m].map { $0.isNaN ? "nan" : "\($0)" }.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(text, to: path)
    }
}
