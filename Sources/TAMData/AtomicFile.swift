import Foundation

/// Outputs are written atomically: into a temporary file beside the target, then renamed over
/// it, so a crash or a full disk never leaves a half-written file where a complete one was.
public enum AtomicFile {
    /// Calls `body` with a temporary path to fill, then moves it to `path`.
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder) else {
            throw TAMDataError(path, "the folder \(folder) does not exist")
        }
        let temporary = folder + "/." + url.lastPathComponent + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try body(temporary)
            if rename(temporary, path) != 0 {
                throw TAMDataError(path, "cannot move the finished file into place (errno \(errno))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            do { try data.write(to: URL(fileURLWithPath: temporary)) } catch {
                throw TAMDataError(path, "cannot write (\(error.localizedDescription)); check free disk space and permissions")
            }
        }
    }

    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
