/// The outputs could not be written (a full disk, no permission): exit 74, not the input's fault.
public struct OutputError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}
