import Foundation
import TextInput

/// Delay files: one delay per line, in femtoseconds, one per frame. Blank lines and lines
/// starting with # are skipped; line ends and a byte-order mark from any platform are taken
/// (`TextFile`).
public enum DelayFile {
    public static func read(_ path: String, expectedCount: Int? = nil) throws -> [Double] {
        let text: String
        do { text = try TextFile.read(path) } catch {
            throw TAMDataError(path, error == .missing ? "no such file; check the --delays path" : error.description)
        }
        var delays: [Double] = []
        for (number, line) in TextFile.lines(text).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let value = Double(trimmed), value.isFinite else {
                throw TAMDataError(path, "line \(number + 1) reads '\(trimmed.prefix(40))', not a number; give one delay in fs per line")
            }
            delays.append(value)
        }
        if let expected = expectedCount, delays.count != expected {
            throw TAMDataError(path, "holds \(delays.count) delays but the data have \(expected) frames; give exactly one delay per frame")
        }
        return delays
    }

    public static func write(_ delays: [Double], to path: String) throws {
        try AtomicFile.write("# delay in fs, one per frame\n" + delays.map { String($0) }.joined(separator: "\n") + "\n", to: path)
    }
}
