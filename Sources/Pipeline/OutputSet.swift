import Foundation
import TextInput
import TAMData

/// The files of one run, written as a set: each into a staging folder inside the output folder,
/// then moved into place together when the run completes, the commit record (fits.json) last. A
/// run that fails removes its staging folder, so no file that looks complete is left behind, and
/// files of an earlier run that this run does not write again are removed when it commits (the
/// folder never mixes two runs).
public final class OutputSet {
    public let folder: String
    public let staging: String
    /// The files written so far, by name.
    public private(set) var names: [String] = []
    /// Test hook: checks each write the sinks make (name, bytes so far) and throws to simulate a
    /// failed disk.
    public var fault: (@Sendable (_ name: String, _ bytes: Int) throws -> Void)?

    /// Files any earlier run may have left, removed when this one commits unless it wrote them too.
    public static let runFiles = ["fits.csv", "fits.h5", "shape.csv"]
    /// The commit record, written last.
    public static let recordName = "fits.json"

    public init(folder: String) throws {
        self.folder = folder
        do { try SystemError.createFolder(folder) } catch {
            throw OutputError(folder, "cannot create the output folder: \(error)")
        }
        // Checked before any fitting: a folder where a run file goes would stop the commit at
        // the end, after all the work.
        for name in Self.runFiles + [Self.recordName] {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder), isFolder.boolValue {
                throw OutputError(folder + "/" + name, SystemError.words(errno: EISDIR))
            }
        }
        staging = folder + "/.femtofit-partial-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        guard mkdir(staging, 0o755) == 0 else {
            throw OutputError(folder, "cannot write into the output folder: \(SystemError.words(errno: errno))")
        }
    }

    /// Where the file `name` is written until the commit.
    public func path(_ name: String) -> String {
        if !names.contains(name) { names.append(name) }
        return staging + "/" + name
    }

    /// The size of each file written, by name.
    public func sizes() -> [(name: String, bytes: Int)] {
        names.map { name in
            let bytes = (try? FileManager.default.attributesOfItem(atPath: staging + "/" + name)[.size] as? Int) ?? 0
            return (name, bytes)
        }
    }

    /// Moves every file into the output folder, `record` last, each flushed to disk first.
    public func commit(record: String) throws {
        let fileManager = FileManager.default
        // Without a commit record the folder reads as incomplete while the files change.
        let recordPath = folder + "/" + record
        var earlier = Set(Self.runFiles)
        if let data = fileManager.contents(atPath: recordPath),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let files = json["files"] as? [[String: Any]] {
            earlier.formUnion(files.compactMap { $0["name"] as? String })
        }
        // unlink, never a recursive remove: only files (or links) of earlier runs go.
        unlink(recordPath)
        for name in earlier.subtracting(names) where !name.contains("/") {
            unlink(folder + "/" + name)
        }
        for name in names where name != record { try move(name) }
        if names.contains(record) { try move(record) }
        try? fileManager.removeItem(atPath: staging)
        let directory = open(folder, O_RDONLY)
        if directory >= 0 { fsync(directory); close(directory) }
    }

    private func move(_ name: String) throws {
        let from = staging + "/" + name, to = folder + "/" + name
        let file = open(from, O_RDONLY)
        if file >= 0 { fsync(file); close(file) }
        guard rename(from, to) == 0 else {
            throw OutputError(to, "cannot move the finished file into place: \(SystemError.words(errno: errno))")
        }
    }

    /// Removes everything this run wrote (a failed run).
    public func abort() {
        try? FileManager.default.removeItem(atPath: staging)
    }
}

