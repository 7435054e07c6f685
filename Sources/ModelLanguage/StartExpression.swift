/// Statistics of a fit's data that start-value expressions may name (docs/models.md defines
/// each). The grid statistics need a 2D ROI; the curve ones a curve.
public enum DataStatistic: String, Sendable, CaseIterable {
    case min, max, mean, sum, first, last
    case centroidX = "centroid_x", centroidY = "centroid_y", rmsWidth = "rms_width", argmaxT = "argmax_t"

    /// Whether the statistic is defined for grid ROIs (true) or curves (false); nil: both.
    public var gridOnly: Bool? {
        switch self {
        case .centroidY, .rmsWidth: return true
        case .first, .last, .argmaxT: return false
        default: return nil
        }
    }
}

/// A start value as an expression of data statistics (`"max - min"`), read into a graph.
public struct StartExpression: Sendable {
    public let text: String
    let graph: ExpressionGraph
    let value: Int
    /// The statistics' names, by variable index of the graph.
    let variableNames: [String]

    public init(_ text: String, grid: Bool) throws {
        let names = DataStatistic.allCases.filter { $0.gridOnly == nil || $0.gridOnly == grid }.map(\.rawValue)
        let syntax = try ExpressionParser.parse(text)
        var builder = GraphBuilder(text: text, variables: names)
        do { value = try builder.node(syntax) } catch let error as ExpressionError where error.message.hasPrefix("unknown name") {
            let other = DataStatistic.allCases.map(\.rawValue).filter { !names.contains($0) }
            let misplaced = other.first { error.message.contains("'\($0)'") }
            if let misplaced {
                throw ExpressionError("\(misplaced) is a statistic of \(grid ? "curves" : "2D ROIs"), not of this model's data", source: error.source, offset: error.offset)
            }
            throw error
        }
        self.text = text
        graph = builder.graph
        variableNames = names
    }

    /// The start value given the statistics' values (`statistics[name]`).
    public func evaluate(_ statistics: [String: Double]) -> Double {
        graph.evaluateAll { statistics[variableNames[$0]] ?? .nan }[value]
    }
}
