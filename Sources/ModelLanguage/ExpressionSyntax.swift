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
