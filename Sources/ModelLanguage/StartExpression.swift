import FitCore

/// A start value as an expression of data statistics (`"max - min"`), read into a graph.
public struct StartExpression: Sendable {
    public let text: String
    let graph: ExpressionGraph
    let value: Int
    /// The statistics' names, by variable index of the graph.
    let variableNames: [String]

    public init(_ text: String, grid: Bool) throws {
        let names = DataStatistic.available(grid: grid).map(\.rawValue)
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
