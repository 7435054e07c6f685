import FitCore

/// A model defined at run time: an expression in its parameters and coordinates, read, checked
/// and differentiated symbolically into one graph (`ExpressionGraph`): the value and one
/// derivative per parameter, common subexpressions shared. What the backends compile from.
///
/// The language: numbers, `+ - * / ^` (`^` binds tightest and to the right; `-x^2` is `-(x^2)`),
/// parentheses, the functions exp, log, sqrt, abs, sin, cos, tan, atan, erf, erfc, erfcx (1
/// argument) and pow, min, max (2), the constant `pi`, the parameters and the coordinates.
public struct ModelExpression: Sendable {
    public let text: String
    public let parameters: [String]
    public let coordinates: [String]
    public let graph: ExpressionGraph
    /// The node of the model's value, and of its derivative by each parameter, as the CPU's
    /// staged program computes them (a grid model's exponentials separated into x and y factors,
    /// `Separation`).
    public let value: Int
    public let derivatives: [Int]
    /// The same, as written (not separated): for a backend that computes each point on its own
    /// (OpenCL), where a separated exp would cost two exps per point instead of one.
    public let pointValue: Int
    public let pointDerivatives: [Int]
    /// The expression as it was read, every operation in parentheses.
    public let parsedText: String

    /// As Gpufit: at most 32 parameters.
    public static let maximumParameters = 32
    /// The coordinate sets a model may name: a grid ROI (x = column, y = row) or a curve.
    public static let coordinateSets: [[String]] = [["x", "y"], ["t"], ["x"]]
    public static let unaryFunctions: [String: ExpressionGraph.Unary] = Dictionary(uniqueKeysWithValues:
        ExpressionGraph.Unary.allCases.filter { $0 != .negate }.map { ($0.rawValue, $0) })
    public static let binaryFunctions: [String: ExpressionGraph.Binary] = ["pow": .power, "min": .minimum, "max": .maximum]
    static var functionNames: [String] { Array(unaryFunctions.keys) + Array(binaryFunctions.keys) }

    public init(expression: String, parameters: [String], coordinates: [String]) throws {
        guard Self.coordinateSets.contains(coordinates) else {
            throw ExpressionError("coordinates \(coordinates) are none of [\"x\", \"y\"] (a grid ROI: x the column, y the row), [\"t\"] or [\"x\"] (a curve)")
        }
        guard !parameters.isEmpty, parameters.count <= Self.maximumParameters else {
            throw ExpressionError("a model has 1 to \(Self.maximumParameters) parameters, not \(parameters.count)")
        }
        for name in parameters {
            guard let first = name.first, first.isASCII, first.isLetter || first == "_",
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ExpressionError("parameter name '\(name)' is not a name (letters, digits and _, not starting with a digit)")
            }
            guard !coordinates.contains(name), Self.unaryFunctions[name] == nil, Self.binaryFunctions[name] == nil, name != "pi" else {
                throw ExpressionError("parameter name '\(name)' is taken by a coordinate, a function or pi: rename it")
            }
        }
        if let duplicate = Dictionary(grouping: parameters, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ExpressionError("parameter '\(duplicate)' is named twice")
        }
        let syntax = try ExpressionParser.parse(expression)
        var builder = GraphBuilder(text: expression, variables: parameters + coordinates)
        let written = try builder.node(syntax)
        var value = written
        if coordinates.count == 2 {
            // One exp per column and per row where the model allows (`Separation`).
            let p = parameters.count
            var separation = Separation(graph: builder.graph) { v in v < p ? .pass : v == p ? .column : .row }
            value = separation.rewrite(value)
            builder.graph = separation.graph
        }
        func differentiate(_ root: Int) throws -> [Int] {
            try (0..<parameters.count).map { j in
                var memo: [Int: Int] = [:]
                let d = builder.graph.derivative(of: root, by: j, memo: &memo)
                if builder.graph.constantValue(d) == 0 {
                    throw ExpressionError("parameter '\(parameters[j])' does not change the model (the expression does not use it, so its derivative is 0 and the fit would be singular): use it or remove it")
                }
                return d
            }
        }
        var derivatives = try differentiate(value)
        var pointByPoint = value == written ? derivatives : try differentiate(written)
        // Products regrouped by stage, the value and the derivatives together (`Reassociation`).
        let p = parameters.count, grid = coordinates.count == 2
        var reassociation = Reassociation(graph: builder.graph) { v in v < p ? .pass : v == p ? (grid ? .column : .point) : .row }
        let outputs = reassociation.rewrite([value] + derivatives + [written] + pointByPoint)
        builder.graph = reassociation.graph
        value = outputs[0]
        derivatives = Array(outputs[1...p])
        self.pointValue = outputs[p + 1]
        pointByPoint = Array(outputs[(p + 2)...])
        self.pointDerivatives = pointByPoint
        self.text = expression
        self.parsedText = syntax.description
        self.parameters = parameters
        self.coordinates = coordinates
        self.graph = builder.graph
        self.value = value
        self.derivatives = derivatives
    }

    /// Every node's value at `parameters` and `coordinates`, in float64.
    public func evaluateAll(parameters p: [Double], coordinates c: [Double]) -> [Double] {
        graph.evaluateAll { $0 < p.count ? p[$0] : c[$0 - p.count] }
    }

    /// The operations (nodes other than constants and variables) that `roots` need, shared ones once.
    public func operationCount(of roots: [Int]) -> Int {
        zip(graph.reachable(from: roots), graph.nodes).filter { $0.0 && !ExpressionGraph.operands($0.1).isEmpty }.count
    }

    public func operationCount(of root: Int) -> Int { operationCount(of: [root]) }

    /// The operations of the value and every derivative together.
    public var operationCount: Int { operationCount(of: [value] + derivatives) }

    /// The model's value and derivatives at one point, in float64.
    public func evaluate(parameters p: [Double], coordinates c: [Double]) -> (value: Double, derivatives: [Double]) {
        let all = evaluateAll(parameters: p, coordinates: c)
        return (all[value], derivatives.map { all[$0] })
    }
}

/// Turns a syntax tree into graph nodes, resolving names and checking calls.
struct GraphBuilder {
    let text: String
    let variables: [String]
    var graph = ExpressionGraph()

    mutating func node(_ syntax: ExpressionSyntax) throws -> Int {
        switch syntax {
        case .number(let v, _):
            return graph.constant(v)
        case .name(let name, let offset):
            if let i = variables.firstIndex(of: name) { return graph.make(.variable(i)) }
            if name == "pi" { return graph.constant(Double.pi) }
            if ModelExpression.unaryFunctions[name] != nil || ModelExpression.binaryFunctions[name] != nil {
                throw ExpressionError("'\(name)' is a function: call it, \(name)(...)", source: text, offset: offset)
            }
            throw ExpressionError("unknown name '\(name)' (the names are \(variables.joined(separator: ", ")) and pi)"
                                  + NameSuggestion.hint(name, among: variables + ["pi"]), source: text, offset: offset)
        case .negate(let a, _):
            return graph.make(.unary(.negate, try node(a)))
        case .binary(let op, let a, let b, _):
            let x = try node(a), y = try node(b)
            let f: ExpressionGraph.Binary = switch op {
            case "+": .add
            case "-": .subtract
            case "*": .multiply
            case "/": .divide
            default: .power
            }
            return graph.make(.binary(f, x, y))
        case .call(let name, let arguments, let offset):
            if let f = ModelExpression.unaryFunctions[name] {
                guard arguments.count == 1 else {
                    throw ExpressionError("\(name) takes 1 argument, not \(arguments.count)", source: text, offset: offset)
                }
                return graph.make(.unary(f, try node(arguments[0])))
            }
            if let f = ModelExpression.binaryFunctions[name] {
                guard arguments.count == 2 else {
                    throw ExpressionError("\(name) takes 2 arguments, not \(arguments.count)", source: text, offset: offset)
                }
                let x = try node(arguments[0]), y = try node(arguments[1])
                return graph.make(.binary(f, x, y))
            }
            throw ExpressionError("unknown function '\(name)' (exp, log, sqrt, abs, sin, cos, tan, atan, erf, erfc, erfcx, pow, min, max)"
                                  + NameSuggestion.hint(name, among: ModelExpression.functionNames.sorted()), source: text, offset: offset)
        }
    }
}
