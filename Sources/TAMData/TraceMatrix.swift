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

    /// Reads `path` whole (`CSVTraceMatrix` reads it a block at a time); every problem names the
    /// file, the line and what to do.
    public static func read(_ path: String) throws -> TraceMatrix {
        let source = try CSVTraceMatrix(path)
        let all = 0..<source.traceCount
        let values = try source.read(all)
        return TraceMatrix(delays: source.delays, wavelengths: try source.labels(all), values: values)
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
