import FitCore

/// Where a node's value changes: once per LM pass (the parameters and constants alone), per
/// column (x alone), per row (y alone), or per point. A curve's coordinate is per point.
enum EvaluationStage: Int, Comparable {
    case pass = 0, column = 1, row = 2, point = 3

    /// The stage of a node whose operands have stages `a` and `b`.
    static func combining(_ a: EvaluationStage, _ b: EvaluationStage) -> EvaluationStage {
        EvaluationStage(rawValue: a.rawValue | b.rawValue)!
    }
    static func < (a: EvaluationStage, b: EvaluationStage) -> Bool { a.rawValue < b.rawValue }
}

/// Each node's stage, found as the graph grows (a rewrite adds nodes while it asks).
struct StageTable {
    let variable: (Int) -> EvaluationStage
    private var stage: [EvaluationStage] = []

    init(variable: @escaping (Int) -> EvaluationStage) { self.variable = variable }

    /// Node `n`'s stage in `graph` (the graph this table has been asked about, grown or not).
    mutating func of(_ n: Int, in graph: ExpressionGraph) -> EvaluationStage {
        while stage.count < graph.nodes.count {
            let node = graph.nodes[stage.count]
            if case .variable(let v) = node { stage.append(variable(v)); continue }
            stage.append(ExpressionGraph.operands(node).reduce(.pass) { EvaluationStage.combining($0, stage[$1]) })
        }
        return stage[n]
    }
}

/// Each node's stage in `graph`, the variables' stages given by `variable`.
func stages(of graph: ExpressionGraph, variable: @escaping (Int) -> EvaluationStage) -> [EvaluationStage] {
    var table = StageTable(variable: variable)
    return graph.nodes.indices.map { table.of($0, in: graph) }
}
