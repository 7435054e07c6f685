import Foundation

/// Delay files: one delay per line, in femtoseconds, one per frame. Blank lines and lines
/// starting with # are skipped.
public enum DelayFile {
    public static func read(_ path: String, expectedCount: Int? = nil) throws -> [Double] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TAMDataError(path, FileManager.default.fileExists(atPath: path) ? "cannot read it as UTF-8 text" : "no such file; check the --delays path")
        }
        var delays: [Double] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
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
