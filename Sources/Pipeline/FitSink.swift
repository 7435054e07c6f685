import Foundation
import TextInput
import TAMData

/// Where a run's results go, chunk by chunk and in fit order, while the run goes on: fits.csv,
/// fits.h5, shape.csv. `finish` completes the file; the `OutputSet` moves it into place later.
public protocol FitSink: AnyObject {
    func write(_ chunk: FitChunk, shape: [SpotShapeOutput.Row]) throws
    func finish() throws
}

/// A file of the output set written from the start by appending (`AppendingFile`), through the
/// set's fault hook, with errors that name the file and say what to do.
final class StreamFile {
    let path: String
    let name: String
    private let file: AppendingFile
    private let fault: (@Sendable (String, Int) throws -> Void)?
    var bytes: Int { file.bytes }

    init(_ name: String, in outputs: OutputSet) throws {
        self.name = name
        path = outputs.path(name)
        fault = outputs.fault
        do { file = try AppendingFile(creating: path) } catch let failure as AppendingFile.Failure { throw OutputError(path, failure.problem) }
    }

    func write(_ data: UnsafeRawBufferPointer) throws {
        try fault?(name, bytes + data.count)
        do { try file.write(data) } catch let failure as AppendingFile.Failure { throw OutputError(path, failure.problem) }
    }

    /// Starts writing what is written so far to the disk, without waiting: the flush before the
    /// commit then finds little left to do.
    func startWriteback() { file.startWriteback() }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    func write(_ text: String) throws { try write(Array(text.utf8)) }
}
