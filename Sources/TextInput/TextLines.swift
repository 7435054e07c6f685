import Foundation

/// A text file's lines, read a megabyte at a time, as `TextFile` takes text (UTF-8 with or without
/// a byte-order mark; lines ended by LF, CRLF or a lone CR): for inputs too large to hold whole.
public final class TextLines {
    public let path: String
    /// The number of the line `next` returned last (the first is 1).
    public private(set) var lineNumber = 0
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var skipLineFeed = false
    private var started = false

    static let chunk = 1 << 20

    public init(path: String) throws(TextFile.ReadFailure) {
        self.path = path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw .missing }
        if isFolder.boolValue { throw .unreadable("it is a folder, not a file") }
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable("it cannot be opened (check its permissions)") }
    }

    deinit { close(descriptor) }

    /// Reads more bytes after the unread ones; false at the end of the file.
    private func refill() throws(TextFile.ReadFailure) -> Bool {
        guard !atEnd else { return false }
        if position > 0 { buffer.removeFirst(position); position = 0 }
        let old = buffer.count
        buffer.reserveCapacity(old + Self.chunk)
        var read = 0
        repeat {
            buffer.append(contentsOf: repeatElement(0, count: Self.chunk))
            read = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress! + old, Self.chunk) }
            buffer.removeLast(Self.chunk - max(read, 0))
        } while read < 0 && errno == EINTR
        if read < 0 { throw .unreadable(SystemError.words(errno: errno)) }
        if read == 0 { atEnd = true; return false }
        if !started {
            started = true
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }
        return true
    }

    /// The next line without its end, or nil after the last.
    public func next() throws(TextFile.ReadFailure) -> String? {
        if skipLineFeed {
            skipLineFeed = false
            if position >= buffer.count { _ = try refill() }
            if position < buffer.count, buffer[position] == 10 { position += 1 }
        }
        var scanned = position
        while true {
            if let end = buffer[scanned...].firstIndex(where: { $0 == 10 || $0 == 13 }) {
                let line = buffer[position..<end]
                skipLineFeed = buffer[end] == 13
                position = end + 1
                return try text(line)
            }
            scanned = buffer.count - position
            guard try refill() else { break }
            scanned += position
        }
        guard position < buffer.count else { return nil }
        let line = buffer[position...]
        position = buffer.count
        return try text(line)
    }

    private func text(_ bytes: ArraySlice<UInt8>) throws(TextFile.ReadFailure) -> String {
        lineNumber += 1
        guard let line = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        return line
    }
}
