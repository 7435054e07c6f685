import Foundation
import TextInput
import TAMData

/// Where a run's results go, chunk by chunk and in fit order, while the run goes on: fits.csv,
/// fits.h5, shape.csv. `finish` completes the file; the `OutputSet` moves it into place later.
public protocol FitSink: AnyObject {
    func write(_ chunk: FitChunk, shape: [SpotShapeOutput.Row]) throws
    func finish() throws
}

/// A file written from the start by appending, through the output set's fault hook, with errors
/// that name the file and say what to do.
final class StreamFile {
    let path: String
    let name: String
    private let descriptor: Int32
    private let fault: (@Sendable (String, Int) throws -> Void)?
    private(set) var bytes = 0

    init(_ name: String, in outputs: OutputSet) throws {
        self.name = name
        path = outputs.path(name)
        fault = outputs.fault
        descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw OutputError(path, "cannot create the file: \(SystemError.words(errno: errno))") }
    }

    deinit { close(descriptor) }

    func write(_ data: UnsafeRawBufferPointer) throws {
        try fault?(name, bytes + data.count)
        var offset = 0
        while offset < data.count {
            let written = Foundation.write(descriptor, data.baseAddress! + offset, data.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError(path, "cannot write: \(SystemError.words(errno: errno))")
            }
            offset += written
        }
        bytes += data.count
    }

    /// Starts writing what is written so far to the disk, without waiting: the flush before the
    /// commit then finds little left to do.
    func startWriteback() { _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    func write(_ text: String) throws { try write(Array(text.utf8)) }
}
