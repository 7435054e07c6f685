import Dispatch
import Foundation

/// Progress of long work on standard error: on a terminal a redrawn bar with the count, the
/// rate and the time left; plain lines (every quarter) when piped, so logs stay readable.
final class Progress {
    let label: String
    let unit: String?
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastQuarter = -1
    private let started = DispatchTime.now().uptimeNanoseconds

    /// `unit` (e.g. "fits") adds the rate and the time left.
    init(_ label: String, unit: String? = nil) {
        self.label = label
        self.unit = unit
    }

    func update(_ done: Int, of total: Int) {
        guard total > 0 else { return }
        fflush(stdout)  // keep the report and the progress lines in order when both are piped
        let fraction = Double(done) / Double(total)
        var rate = ""
        if let unit {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let perSecond = seconds > 0 ? Double(done) / seconds : 0
            let left = perSecond > 0 ? Double(total - done) / perSecond : 0
            rate = ", \(Int(perSecond.rounded())) \(unit)/s, \(Self.duration(left)) left"
        }
        if isTerminal {
            let width = 30, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write("\r\(label) [\(bar)] \(done)/\(total)\(rate)   ".data(using: .utf8)!)
            if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        } else {
            let quarter = Int(fraction * 4)
            if quarter != lastQuarter {
                lastQuarter = quarter
                FileHandle.standardError.write("\(label): \(done)/\(total)\(rate)\n".data(using: .utf8)!)
            }
        }
    }

    /// A stage starting, as one line on standard error (after what standard output holds so far).
    static func say(_ stage: String) {
        fflush(stdout)
        FileHandle.standardError.write("\(stage)\n".data(using: .utf8)!)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 60 { return String(format: "%.0f s", seconds) }
        if seconds < 3600 { return String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%d h %02d min", Int(seconds) / 3600, Int(seconds) % 3600 / 60)
    }
}

/// A message on standard error.
func warn(_ message: String) {
    FileHandle.standardError.write("femtofit: \(message)\n".data(using: .utf8)!)
}
