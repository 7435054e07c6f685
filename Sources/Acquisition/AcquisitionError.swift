/// Why an acquisition step cannot go on, in words that name the device or plan entry and what to
/// do about it.
public struct AcquisitionError: Error, Equatable, CustomStringConvertible {
    /// The device, setting or plan entry at fault ("delay stage", "plan: delays[3]").
    public var subject: String
    public var message: String

    public init(_ subject: String, _ message: String) {
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}
