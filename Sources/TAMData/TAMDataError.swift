/// A problem with an input or output file, worded for the person who has to fix it: which file,
/// which frame or line, and what to do.
public struct TAMDataError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
