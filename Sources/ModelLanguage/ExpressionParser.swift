/// Reads an expression into its tree (`ExpressionSyntax`) by precedence climbing:
///     + -  (left)  <  * /  (left)  <  unary -  <  ^  (right: a^b^c = a^(b^c); -x^2 = -(x^2))
/// Function calls are a name and parenthesised, comma-separated arguments.
struct ExpressionParser {
    let text: String
    let tokens: [ExpressionToken]
    var position = 0

    /// The limits that keep a model's kernels and instruction lists small.
    static let maximumLength = 4096
    static let maximumDepth = 64

    static func parse(_ text: String) throws -> ExpressionSyntax {
        guard text.count <= maximumLength else {
            throw ExpressionError("the expression is \(text.count) characters long; the limit is \(maximumLength)")
        }
        var parser = ExpressionParser(text: text, tokens: try ExpressionLexer.tokens(text))
        guard parser.tokens.count > 1 else { throw ExpressionError("the expression is empty", source: text, offset: 0) }
        let tree = try parser.sum(depth: 0)
        let next = parser.tokens[parser.position]
        guard next.kind == .end else {
            throw ExpressionError("expected an operator or the end of the expression", source: text, offset: next.offset)
        }
        return tree
    }

    var current: ExpressionToken { tokens[position] }

    func fail(_ message: String, at token: ExpressionToken) -> ExpressionError {
        ExpressionError(message, source: text, offset: token.offset)
    }

    func checkDepth(_ depth: Int) throws {
        guard depth < Self.maximumDepth else {
            throw fail("the expression nests more than \(Self.maximumDepth) levels deep; split it or simplify it", at: current)
        }
    }

    mutating func sum(depth: Int) throws -> ExpressionSyntax {
        try leftAssociative(["+", "-"], depth: depth) { try $0.product(depth: $1) }
    }

    mutating func product(depth: Int) throws -> ExpressionSyntax {
        try leftAssociative(["*", "/"], depth: depth) { try $0.unary(depth: $1) }
    }

    /// operand (op operand)* for the operators `symbols`, grouped to the left.
    mutating func leftAssociative(_ symbols: Set<Character>, depth: Int,
                                  operand: (inout ExpressionParser, Int) throws -> ExpressionSyntax) throws -> ExpressionSyntax {
        try checkDepth(depth)
        var left = try operand(&self, depth + 1)
        while case .symbol(let op) = current.kind, symbols.contains(op) {
            let offset = current.offset
            position += 1
            left = .binary(op, left, try operand(&self, depth + 1), offset: offset)
        }
        return left
    }

    mutating func unary(depth: Int) throws -> ExpressionSyntax {
        try checkDepth(depth)
        if case .symbol(let op) = current.kind, op == "-" || op == "+" {
            let offset = current.offset
            position += 1
            let operand = try unary(depth: depth + 1)
            return op == "-" ? .negate(operand, offset: offset) : operand
        }
        return try power(depth: depth + 1)
    }

    mutating func power(depth: Int) throws -> ExpressionSyntax {
        try checkDepth(depth)
        let base = try primary(depth: depth + 1)
        if case .symbol("^") = current.kind {
            let offset = current.offset
            position += 1
            // Right-associative, and the exponent may carry a sign: 2^-x.
            return .binary("^", base, try unary(depth: depth + 1), offset: offset)
        }
        return base
    }

    mutating func primary(depth: Int) throws -> ExpressionSyntax {
        try checkDepth(depth)
        let token = current
        switch token.kind {
        case .number(let value):
            position += 1
            return .number(value, offset: token.offset)
        case .name(let name):
            position += 1
            guard case .symbol("(") = current.kind else { return .name(name, offset: token.offset) }
            position += 1
            var arguments: [ExpressionSyntax] = []
            if case .symbol(")") = current.kind {} else {
                arguments.append(try sum(depth: depth + 1))
                while case .symbol(",") = current.kind {
                    position += 1
                    arguments.append(try sum(depth: depth + 1))
                }
            }
            guard case .symbol(")") = current.kind else { throw fail("expected ',' or ')' in the call of \(name)", at: current) }
            position += 1
            return .call(name, arguments, offset: token.offset)
        case .symbol("("):
            position += 1
            let inner = try sum(depth: depth + 1)
            guard case .symbol(")") = current.kind else { throw fail("expected ')' to close the '(' at column \(token.offset + 1)", at: current) }
            position += 1
            return inner
        case .end:
            throw fail("the expression ends where a number, a name or '(' should come", at: token)
        case .symbol(let c):
            throw fail("'\(c)' where a number, a name or '(' should come", at: token)
        }
    }
}
