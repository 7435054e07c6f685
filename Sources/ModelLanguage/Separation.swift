import FitCore

/// Rewrites a grid model's exponentials whose argument is a sum of terms in x alone and terms
/// in y alone into a product, exp(u(x) + v(y)) = exp(u(x)) exp(v(y)), as the built-in Gaussians
/// are written: one exp per column and one per row instead of one per pixel. The argument is
/// read as a sum through +, -, negation, and multiplication or division by what depends on the
/// parameters alone, so exp(-((x - x0)^2 + (y - y0)^2) / (2 s^2)) separates. Terms in the
/// parameters alone join the x factor. Applied before differentiation, so the derivatives share
/// the factors. (Where one factor overflows and the other underflows the product is inf x 0,
/// NaN, where the exp of the sum would be finite: arguments beyond about ±87 in float32, far
/// outside a spot's few widths; such a fit ends in `FitState.nonFiniteModel`, as a model that is
/// not finite does.)
struct Separation {
    var graph: ExpressionGraph
    private var stages: StageTable
    private var rebuilt: [Int: Int] = [:]

    init(graph: ExpressionGraph, variableStage: @escaping (Int) -> EvaluationStage) {
        self.graph = graph
        stages = StageTable(variable: variableStage)
    }

    /// `root` with its separable exponentials rewritten (in `graph`, which keeps the old nodes).
    mutating func rewrite(_ root: Int) -> Int {
        node(root)
    }

    private mutating func stageOf(_ n: Int) -> EvaluationStage { stages.of(n, in: graph) }

    private mutating func make(_ node: ExpressionGraph.Node) -> Int { graph.make(node) }

    private mutating func node(_ n: Int) -> Int {
        if let done = rebuilt[n] { return done }
        let result: Int
        switch graph.nodes[n] {
        case .constant, .variable: result = n
        case .unary(.exp, let a):
            let argument = node(a)
            result = separated(argument) ?? make(.unary(.exp, argument))
        case .unary(let f, let a): result = make(.unary(f, node(a)))
        case .binary(let f, let a, let b):
            let x = node(a), y = node(b)
            result = make(.binary(f, x, y))
        case .lessThanSelect(let a, let b, let c, let d):
            let (w, x, y, z) = (node(a), node(b), node(c), node(d))
            result = make(.lessThanSelect(w, x, y, z))
        }
        rebuilt[n] = result
        return result
    }

    /// exp(argument) as exp(column part) x exp(row part), or nil where it does not separate.
    private mutating func separated(_ argument: Int) -> Int? {
        guard stageOf(argument) == .point else { return nil }
        let parts = terms(argument)
        var columnTerms: [Int] = [], rowTerms: [Int] = []
        for term in parts {
            switch stageOf(term) {
            case .pass, .column: columnTerms.append(term)
            case .row: rowTerms.append(term)
            case .point: return nil
            }
        }
        guard !rowTerms.isEmpty, columnTerms.contains(where: { stageOf($0) == .column }) else { return nil }
        let u = sum(columnTerms), v = sum(rowTerms)
        let eu = make(.unary(.exp, u)), ev = make(.unary(.exp, v))
        return make(.binary(.multiply, eu, ev))
    }

    private mutating func sum(_ terms: [Int]) -> Int {
        terms.dropFirst().reduce(terms[0]) { make(.binary(.add, $0, $1)) }
    }

    /// `n` as a sum of terms, through +, -, negation and scaling by what is constant in a pass.
    private mutating func terms(_ n: Int) -> [Int] {
        switch graph.nodes[n] {
        case .binary(.add, let a, let b): return terms(a) + terms(b)
        case .binary(.subtract, let a, let b): return terms(a) + terms(b).map { make(.unary(.negate, $0)) }
        case .unary(.negate, let a): return terms(a).map { make(.unary(.negate, $0)) }
        case .binary(.multiply, let a, let b) where stageOf(a) == .pass && stageOf(b) != .pass:
            return terms(b).map { make(.binary(.multiply, a, $0)) }
        case .binary(.multiply, let a, let b) where stageOf(b) == .pass && stageOf(a) != .pass:
            return terms(a).map { make(.binary(.multiply, $0, b)) }
        case .binary(.divide, let a, let b) where stageOf(b) == .pass && stageOf(a) != .pass:
            return terms(a).map { make(.binary(.divide, $0, b)) }
        default: return [n]
        }
    }
}
