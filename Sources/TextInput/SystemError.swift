import Foundation

/// What the operating system said about a file, in words a user can act on: the cause and what to
/// do, never "errno 21" or "NSCocoaErrorDomain error 512". Every reader and writer phrases file
/// problems through here, so that one failure reads the same wherever it happens.
public enum SystemError {
    /// The cause behind POSIX error `code`, and what to do about it.
    public static func words(errno code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file or folder; check the path"
        case EACCES, EPERM: return "permission denied; choose a folder you may write to, or change its permissions"
        case ENOSPC: return "the disk is full; free some space or choose another disk"
        case EDQUOT: return "the disk quota is used up; free some space or choose another disk"
        case EROFS: return "the disk is read-only; choose a folder on a writable disk"
        case ENOTDIR: return "a part of the path is a file, not a folder; check the path"
        case EISDIR: return "it is a folder where a file is needed; remove or rename the folder, or choose another path"
        case EEXIST: return "something of that name exists and is not a folder; remove it or choose another path"
        case ENAMETOOLONG: return "the path is too long; choose a shorter one"
        case ELOOP: return "the path has a loop of symbolic links; check the links"
        case EIO: return "the disk reported an input/output error; check the disk"
        case EMFILE, ENFILE: return "too many files are open; close other programs or raise the limit (ulimit -n)"
        case EFBIG: return "the file is larger than this disk or limit allows (ulimit -f); choose another disk"
        case EXDEV: return "the file cannot be moved across disks; keep the output on one disk"
        default: return String(cString: strerror(code)).lowercased()
        }
    }

    /// The cause behind a Foundation or POSIX error, in the same words.
    public static func words(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return words(errno: Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return words(errno: Int32(underlying.code))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return words(errno: ENOENT)
            case .fileReadNoPermission, .fileWriteNoPermission: return words(errno: EACCES)
            case .fileWriteOutOfSpace: return words(errno: ENOSPC)
            case .fileWriteVolumeReadOnly: return words(errno: EROFS)
            case .fileWriteFileExists: return words(errno: EEXIST)
            case .fileReadTooLarge: return "the file is too large to read whole"
            case .fileReadCorruptFile: return "the file is damaged or not in the expected format"
            default: break
            }
        }
        return "\(ns.localizedDescription) (\(ns.domain) \(ns.code))"
    }

    /// Creates the folder `path` and any missing folders above it, with POSIX calls so that a
    /// failure says which part of the path is at fault and why.
    public static func createFolder(_ path: String) throws(FolderFailure) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            if isFolder.boolValue { return }
            throw FolderFailure(path: path, reason: words(errno: EEXIST))
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path && parent != "/" { try createFolder(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FolderFailure(path: path, reason: words(errno: errno))
        }
    }

    /// A folder that could not be created: which one (the first part of the path at fault) and why.
    public struct FolderFailure: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "at \(path): \(reason)" }
    }
}
