import Foundation

/// A file written from its start by appending, piece by piece, so that no writer has to hold a
/// whole output in memory (a fits.csv of 10^7 fits, a points.csv of 10^6 rows). Failures come as
/// `Failure`, in `SystemError`'s words, for the caller to put in its own error.
public final class AppendingFile {
    /// What went wrong, in words ("cannot write: the disk is full; ...").
    public struct Failure: Error, CustomStringConvertible {
        public let problem: String
        public var description: String { problem }
    }

    public let path: String
    /// Bytes written so far.
    public private(set) var bytes = 0
    private let descriptor: Int32

    /// Creates `path` (emptied if it exists). Every method throws `Failure`.
    public init(creating path: String) throws {
        self.path = path
        descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(problem: "cannot create the file: \(SystemError.words(errno: errno))") }
    }

    deinit { close(descriptor) }

    public func write(_ data: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < data.count {
            let written = Foundation.write(descriptor, data.baseAddress! + offset, data.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(problem: "cannot write: \(SystemError.words(errno: errno))")
            }
            offset += written
        }
        bytes += data.count
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try write(raw) }
    }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { raw in try write(raw) }
    }

    /// On the disk before returning.
    public func flush() { fsync(descriptor) }

    /// Starts writing what is written so far to the disk, without waiting: a later flush then
    /// finds little left to do.
    public func startWriteback() { _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) }
}
