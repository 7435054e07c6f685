import Foundation
import TextInput

/// Outputs are written atomically: into a temporary file beside the target, flushed to disk, then
/// renamed over it, so a crash, a power cut or a full disk never leaves a half-written file where
/// a complete one was.
public enum AtomicFile {
    /// Calls `body` with a temporary path to fill, then moves it to `path`.
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let temporary = try temporaryPath(for: path)
        do {
            try body(temporary)
            try commit(temporary, to: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Where `path` is written until `commit`: a hidden file beside it (same file system, so the
    /// rename is atomic). Throws when the folder is missing.
    public static func temporaryPath(for path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder) else {
            throw OutputError(path, "the folder \(folder) does not exist")
        }
        return folder + "/." + url.lastPathComponent + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// Moves the finished `temporary` (from `temporaryPath`) over `path`, each flushed to disk.
    public static func commit(_ temporary: String, to path: String) throws {
        // On disk before it takes the name, and the name on disk after: a power cut leaves
        // the old file or the new one, whole.
        let file = open(temporary, O_RDONLY)
        if file >= 0 { fsync(file); close(file) }
        if rename(temporary, path) != 0 {
            throw OutputError(path, "cannot move the finished file into place: \(SystemError.words(errno: errno))")
        }
        let directory = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY)
        if directory >= 0 { fsync(directory); close(directory) }
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            do { try data.write(to: URL(fileURLWithPath: temporary)) } catch {
                throw OutputError(path, "cannot write: \(SystemError.words(error))")
            }
        }
    }

    public static func write(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
