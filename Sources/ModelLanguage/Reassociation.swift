import FitCore

/// Reorders products so that what changes rarely is multiplied first: a product's factors are
/// grouped by stage (`EvaluationStage`), the parameters' and the column's multiplied together once
/// per column, the row's once per row, and only then the per-point ones. So A * (e_x * e_y)
/// becomes (A * e_x) * e_y: one multiplication per pixel instead of two. And a factor that is
/// constant in a pass is distributed over a per-point sum that nothing else uses, A * (u + v) =
/// A u + A v, where that lets the products regroup. Applied to the value and the derivatives
/// together after differentiation, with one memo, so the shared parts stay shared. A division by
/// what is constant in a pass becomes a multiplication by its reciprocal.
///
/// A product is flattened through a per-point product only where that product has no other use
/// (flattening a shared one would compute it twice per point).
struct Reassociation {
    var graph: ExpressionGraph
    private var stages: StageTable
    private var uses: [Int] = []
    private var rebuilt: [Int: Int] = [:]

    init(graph: ExpressionGraph, variableStage: @escaping (Int) -> EvaluationStage) {
        self.graph = graph
        stages = StageTable(variable: variableStage)
    }

    /// `roots` rewritten, in order.
    mutating func rewrite(_ roots: [Int]) -> [Int] {
        let needed = graph.reachable(from: roots)
        uses = [Int](repeating: 0, count: graph.nodes.count)
        for n in graph.nodes.indices where needed[n] { for o in ExpressionGraph.operands(graph.nodes[n]) { uses[o] += 1 } }
        for r in roots { uses[r] += 1 }
        return roots.map { node($0) }
    }

    private mutating func stageOf(_ n: Int) -> EvaluationStage { stages.of(n, in: graph) }

    private func usesOf(_ n: Int) -> Int { n < uses.count ? uses[n] : 1 }

    private mutating func node(_ n: Int) -> Int {
        if let done = rebuilt[n] { return done }
        let result: Int
        switch graph.nodes[n] {
        case .constant, .variable: result = n
        case .binary(.multiply, let a, let b):
            // Distribute a pass factor over a per-point sum no one else uses.
            if stageOf(a) == .pass, case .binary(let op, let u, let v) = graph.nodes[b], op == .add || op == .subtract,
               stageOf(b) == .point, usesOf(b) == 1 {
                let left = node(graph.make(.binary(.multiply, a, u))), right = node(graph.make(.binary(.multiply, a, v)))
                result = graph.make(.binary(op, left, right))
            } else if stageOf(b) == .pass, case .binary(let op, let u, let v) = graph.nodes[a], op == .add || op == .subtract,
                      stageOf(a) == .point, usesOf(a) == 1 {
                let left = node(graph.make(.binary(.multiply, u, b))), right = node(graph.make(.binary(.multiply, v, b)))
                result = graph.make(.binary(op, left, right))
            } else {
                let (list, negative) = factors(n)
                result = product(list, negative: negative)
            }
        case .binary(.divide, let a, let b) where stageOf(b) == .pass && stageOf(a) != .pass:
            // A division by what is constant in a pass: a multiplication by its reciprocal, the
            // reciprocal once per pass (a division costs several multiplications).
            let one = graph.constant(1)
            let reciprocal = graph.make(.binary(.divide, one, node(b)))
            var (list, negative) = factors(a)
            list.append(reciprocal)
            result = product(list, negative: negative)
        case .unary(.negate, let a) where isFlattenable(a):
            // -(a b): the sign joins the per-pass factors (a negation once per pass, not per point).
            let (list, negative) = factors(a)
            result = product(list, negative: !negative)
        case .unary(let f, let a): result = graph.make(.unary(f, node(a)))
        case .binary(let f, let a, let b):
            let x = node(a), y = node(b)
            result = graph.make(.binary(f, x, y))
        case .lessThanSelect(let a, let b, let c, let d):
            let (w, x, y, z) = (node(a), node(b), node(c), node(d))
            result = graph.make(.lessThanSelect(w, x, y, z))
        }
        rebuilt[n] = result
        return result
    }

    /// Whether a product (or a negated one) may be read through: it is not per point, or nothing
    /// else uses it (reading through a shared per-point product would compute it twice per point).
    private mutating func isFlattenable(_ n: Int) -> Bool {
        switch graph.nodes[n] {
        case .binary(.multiply, _, _), .unary(.negate, _): return stageOf(n) != .point || usesOf(n) == 1
        case .binary(.divide, let a, let b) where stageOf(b) == .pass && stageOf(a) != .pass: return stageOf(n) != .point || usesOf(n) == 1
        default: return false
        }
    }

    /// The rewritten factors of product `n`, through products and negations that may be read
    /// through, and whether an odd number of negations was read through.
    private mutating func factors(_ n: Int) -> (factors: [Int], negative: Bool) {
        switch graph.nodes[n] {
        case .binary(.multiply, let a, let b):
            var out: [Int] = [], negative = false
            for child in [a, b] {
                if isFlattenable(child) {
                    let (inner, sign) = factors(child)
                    out += inner
                    negative = negative != sign
                } else {
                    out.append(node(child))
                }
            }
            return (out, negative)
        case .binary(.divide, let a, let b) where stageOf(b) == .pass && stageOf(a) != .pass:
            // a / b = a * (1 / b), the reciprocal a per-pass factor.
            let (inner, sign) = isFlattenable(a) ? factors(a) : ([node(a)], false)
            return (inner + [graph.make(.binary(.divide, graph.constant(1), node(b)))], sign)
        case .unary(.negate, let a):
            if isFlattenable(a) || !(stageOf(a) == .point && usesOf(a) > 1) {
                let (inner, sign) = factors(a)
                return (inner, !sign)
            }
            return ([node(n)], false)
        default:
            return ([node(n)], false)
        }
    }

    /// The factors multiplied stage by stage: pass and column together, then row, then point,
    /// each group in node order (one order, so equal groups are one node).
    /// With `negative`, the product of the factors negated: -1 joins the per-pass factors.
    private mutating func product(_ factors: [Int], negative: Bool = false) -> Int {
        func multiply(_ nodes: [Int]) -> Int? {
            guard let first = nodes.first else { return nil }
            return nodes.dropFirst().reduce(first) { graph.make(.binary(.multiply, $0, $1)) }
        }
        let sorted = factors.sorted() + (negative ? [graph.constant(-1)] : [])
        let passAndColumn = sorted.filter { stageOf($0) == .pass } + sorted.filter { stageOf($0) == .column }
        let groups = [multiply(passAndColumn), multiply(sorted.filter { stageOf($0) == .row })].compactMap { $0 }
            + sorted.filter { stageOf($0) == .point }
        return multiply(groups)!
    }
}
