/// An expression as written: the parser's tree, with each node's place for messages.
indirect enum ExpressionSyntax: Equatable {
    case number(Double, offset: Int)
    case name(String, offset: Int)
    case negate(ExpressionSyntax, offset: Int)
    case binary(Character, ExpressionSyntax, ExpressionSyntax, offset: Int)
    case call(String, [ExpressionSyntax], offset: Int)

    /// How deeply the tree nests (a name or number is 1).
    var depth: Int {
        switch self {
        case .number, .name: return 1
        case .negate(let a, _): return 1 + a.depth
        case .binary(_, let a, let b, _): return 1 + max(a.depth, b.depth)
        case .call(_, let arguments, _): return 1 + (arguments.map(\.depth).max() ?? 0)
        }
    }
}

extension ExpressionSyntax: CustomStringConvertible {
    /// The tree written back with every operation in parentheses: how the text was read.
    var description: String {
        switch self {
        case .number(let v, _): return v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
        case .name(let name, _): return name
        case .negate(let a, _): return "(-\(a))"
        case .binary(let op, let a, let b, _): return "(\(a) \(op) \(b))"
        case .call(let name, let arguments, _): return "\(name)(\(arguments.map(\.description).joined(separator: ", ")))"
        }
    }
}
