/// What is wrong with a model's text, in words that say where and what to do: the column (from 1)
/// and a caret under it when the fault has a place in the expression.
public struct ExpressionError: Error, Equatable, CustomStringConvertible {
    public let message: String
    /// The expression and the 0-based offset of the fault in it, when it has a place.
    public let source: String?
    public let offset: Int?

    public init(_ message: String, source: String? = nil, offset: Int? = nil) {
        self.message = message
        self.source = source
        self.offset = offset
    }

    /// "column N: message", then the expression and a caret under the fault.
    public var description: String {
        guard let source, let offset else { return message }
        let line = source.replacingNewlines
        return "column \(offset + 1): \(message)\n    \(line)\n    \(String(repeating: " ", count: offset))^"
    }
}

extension String {
    /// One line: newlines and tabs as spaces, so that a caret lines up under its column.
    var replacingNewlines: String { String(map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 }) }
}
