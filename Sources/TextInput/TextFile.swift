import Foundation

/// Text files as every femtofit reader takes them: UTF-8 with or without a byte-order mark, lines
/// ended by LF, CRLF (Windows) or a lone CR (old Macs). A delay file or fits.csv saved by Excel or
/// Notepad reads like one written here.
public enum TextFile {
    /// Why a file could not be read as text.
    public enum ReadFailure: Error, Equatable {
        case missing
        case unreadable(String)
        case notUTF8
    }

    /// The contents of `path`, normalised (`normalised`).
    public static func read(_ path: String) throws(ReadFailure) -> String {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw .missing }
            throw .unreadable(isFolder.boolValue ? "it is a folder, not a file" : "it cannot be opened (check its permissions)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .notUTF8 }
        return normalised(text)
    }

    /// `data` without a leading UTF-8 byte-order mark (for JSON, which the decoder would refuse
    /// with one).
    public static func withoutByteOrderMark(_ data: Data) -> Data {
        data.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(data.dropFirst(3)) : data
    }

    /// `text` without a leading byte-order mark, its line ends turned into LF.
    public static func normalised(_ text: String) -> String {
        var text = text
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        guard text.utf8.contains(13) else { return text }
        return text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }

    /// The lines of normalised `text`, the k-th at index k - 1 (a last empty line after a final
    /// LF is left out).
    public static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}

extension TextFile.ReadFailure: CustomStringConvertible {
    /// In words, for a message that names the file first.
    public var description: String {
        switch self {
        case .missing: return "no such file; check the path"
        case .unreadable(let why): return "cannot be read: \(why)"
        case .notUTF8: return "is not UTF-8 text; save it as UTF-8 (or plain ASCII) text"
        }
    }
}
