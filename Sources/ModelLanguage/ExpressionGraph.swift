import FitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A model's expression and its derivatives as one graph: each node an operation on earlier
/// nodes, every node made once (hash-consing), so a subexpression shared by the value and the
/// derivatives, or used twice, is computed once. Building a node folds constants and drops the
/// identities (x + 0, x * 1, x * 0, x ^ 1, ...), which is also what makes the derivative by a
/// parameter the expression does not use come out as the constant 0.
public struct ExpressionGraph: Sendable {
    public enum Unary: String, Sendable, Hashable, CaseIterable {
        case negate, exp, log, sqrt, abs, sin, cos, tan, atan, erf, erfc, erfcx
    }
    public enum Binary: String, Sendable, Hashable {
        case add, subtract, multiply, divide, power, minimum, maximum
    }
    public enum Node: Sendable, Hashable {
        case constant(Double)
        /// Variable i: the parameters, then the coordinates.
        case variable(Int)
        case unary(Unary, Int)
        case binary(Binary, Int, Int)
        /// a < b ? c : d (the derivatives of abs, min and max).
        case lessThanSelect(Int, Int, Int, Int)
    }

    public private(set) var nodes: [Node] = []
    private var index: [Node: Int] = [:]

    public init() {}

    /// The node `node`, made if new, after folding and identities.
    public mutating func make(_ node: Node) -> Int {
        let simplified = simplify(node)
        if case .reuse(let existing) = simplified { return existing }
        guard case .node(let n) = simplified else { preconditionFailure() }
        if let existing = index[n] { return existing }
        nodes.append(n)
        index[n] = nodes.count - 1
        return nodes.count - 1
    }

    public mutating func constant(_ value: Double) -> Int { make(.constant(value)) }

    /// The value of node `i` if it is a constant.
    public func constantValue(_ i: Int) -> Double? {
        if case .constant(let v) = nodes[i] { return v }
        return nil
    }

    private enum Simplified { case node(Node), reuse(Int) }

    private mutating func simplify(_ node: Node) -> Simplified {
        switch node {
        case .constant, .variable:
            return .node(node)
        case .unary(let f, let a):
            if let x = constantValue(a), let folded = Self.apply(f, x), folded.isFinite { return .node(.constant(folded)) }
            if f == .negate, case .unary(.negate, let inner) = nodes[a] { return .reuse(inner) }
            return .node(node)
        case .binary(let f, var a, var b):
            if let x = constantValue(a), let y = constantValue(b), let folded = Self.apply(f, x, y), folded.isFinite {
                return .node(.constant(folded))
            }
            let ca = constantValue(a), cb = constantValue(b)
            switch f {
            case .add:
                if ca == 0 { return .reuse(b) }
                if cb == 0 { return .reuse(a) }
                if a > b { swap(&a, &b) }  // one order for a + b and b + a
            case .subtract:
                if cb == 0 { return .reuse(a) }
                if ca == 0 { return .node(.unary(.negate, b)) }
                if a == b { return .node(.constant(0)) }
            case .multiply:
                if ca == 0 || cb == 0 { return .node(.constant(0)) }
                if ca == 1 { return .reuse(b) }
                if cb == 1 { return .reuse(a) }
                if ca == -1 { return .node(.unary(.negate, b)) }
                if cb == -1 { return .node(.unary(.negate, a)) }
                if a > b { swap(&a, &b) }
            case .divide:
                if ca == 0 { return .node(.constant(0)) }
                if cb == 1 { return .reuse(a) }
                if a == b { return .node(.constant(1)) }
            case .power:
                if cb == 0 { return .node(.constant(1)) }
                if cb == 1 { return .reuse(a) }
                if ca == 1 { return .node(.constant(1)) }
            case .minimum, .maximum:
                // Not reordered: with a NaN operand the order decides the value (see `apply`).
                if a == b { return .reuse(a) }
            }
            return .node(.binary(f, a, b))
        case .lessThanSelect(let a, let b, let c, let d):
            if c == d { return .reuse(c) }
            if let x = constantValue(a), let y = constantValue(b) { return .reuse(x < y ? c : d) }
            return .node(node)
        }
    }

    /// The operands of a node, in order.
    public static func operands(_ node: Node) -> [Int] {
        switch node {
        case .constant, .variable: return []
        case .unary(_, let a): return [a]
        case .binary(_, let a, let b): return [a, b]
        case .lessThanSelect(let a, let b, let c, let d): return [a, b, c, d]
        }
    }

    /// Which nodes `roots` need (themselves included), by index.
    public func reachable(from roots: [Int]) -> [Bool] {
        var needed = [Bool](repeating: false, count: nodes.count)
        var stack = roots
        while let n = stack.popLast() {
            guard !needed[n] else { continue }
            needed[n] = true
            stack += Self.operands(nodes[n])
        }
        return needed
    }

    /// Every node's value in float64, variable v's value being `variable(v)` (the graph's order is
    /// an evaluation order: a node comes after its operands).
    public func evaluateAll(_ variable: (Int) -> Double) -> [Double] {
        var values = [Double](repeating: 0, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            switch node {
            case .constant(let v): values[i] = v
            case .variable(let v): values[i] = variable(v)
            case .unary(let f, let a): values[i] = Self.apply(f, values[a]) ?? .nan
            case .binary(let f, let a, let b): values[i] = Self.apply(f, values[a], values[b]) ?? .nan
            case .lessThanSelect(let a, let b, let x, let y): values[i] = values[a] < values[b] ? values[x] : values[y]
            }
        }
        return values
    }

    /// f(x) in float64, nil where the language defines no value (never: NaN then).
    public static func apply(_ f: Unary, _ x: Double) -> Double? {
        switch f {
        case .negate: return -x
        case .exp: return exp(x)
        case .log: return log(x)
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .sin: return sin(x)
        case .cos: return cos(x)
        case .tan: return tan(x)
        case .atan: return atan(x)
        case .erf: return erf(x)
        case .erfc: return erfc(x)
        case .erfcx: return scaledErfc(x)
        }
    }

    public static func apply(_ f: Binary, _ x: Double, _ y: Double) -> Double? {
        switch f {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide: return x / y
        case .power: return pow(x, y)
        // Written as selects, so the derivative's select (`Differentiation`) picks the same side,
        // NaN operands included (a comparison with NaN is false: the second operand).
        case .minimum: return x < y ? x : y
        case .maximum: return y < x ? x : y
        }
    }
}
