import Foundation

/// Progress of long work on standard error: a redrawn bar on a terminal, plain lines (every
/// quarter) when piped, so logs stay readable.
final class Progress {
    let label: String
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastQuarter = -1

    init(_ label: String) { self.label = label }

    func update(_ done: Int, of total: Int) {
        guard total > 0 else { return }
        fflush(stdout)  // keep the report and the progress lines in order when both are piped
        let fraction = Double(done) / Double(total)
        if isTerminal {
            let width = 30, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write("\r\(label) [\(bar)] \(done)/\(total)".data(using: .utf8)!)
            if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        } else {
            let quarter = Int(fraction * 4)
            if quarter != lastQuarter {
                lastQuarter = quarter
                FileHandle.standardError.write("\(label): \(done)/\(total)\n".data(using: .utf8)!)
            }
        }
    }
}

/// A message on standard error.
func warn(_ message: String) {
    FileHandle.standardError.write("femtofit: \(message)\n".data(using: .utf8)!)
}
