import FitCore

/// A runtime model as its file gives it (docs/models.md): a name, the coordinates, the
/// parameters, the expression, and optionally start values as expressions of data statistics and
/// bounds. `compile()` checks every part and differentiates.
public struct ModelDefinition: Sendable, Equatable {
    public var name: String
    public var coordinates: [String]
    public var parameters: [String]
    public var expression: String
    /// Parameter name → an expression of `DataStatistic`s (`"max - min"`).
    public var start: [String: String]
    /// Parameter name → (lower, upper); ±infinity leaves a side open.
    public var bounds: [String: ClosedRange<Double>]

    public init(name: String, coordinates: [String], parameters: [String], expression: String,
                start: [String: String] = [:], bounds: [String: ClosedRange<Double>] = [:]) {
        self.name = name; self.coordinates = coordinates; self.parameters = parameters
        self.expression = expression; self.start = start; self.bounds = bounds
    }

    /// The model checked, differentiated and ready for the backends; throws with what is wrong.
    public func compile() throws -> CompiledModel {
        guard let first = name.first, first.isASCII, first.isLowercase,
              name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }), name.count <= 64 else {
            throw ExpressionError("name '\(name)' is not a model name (lower-case letters, digits, - and _, starting with a letter, at most 64)")
        }
        guard ModelDescriptor.named(name) == nil else {
            throw ExpressionError("name '\(name)' is a built-in model's; give the runtime model a name of its own")
        }
        let model: ModelExpression
        do { model = try ModelExpression(expression: expression, parameters: parameters, coordinates: coordinates) } catch let error as ExpressionError {
            throw ExpressionError("expression: " + error.message, source: error.source, offset: error.offset)
        }
        var starts: [String: StartExpression] = [:]
        for (parameter, text) in start {
            guard parameters.contains(parameter) else {
                throw ExpressionError("start names '\(parameter)', which is no parameter" + NameSuggestion.hint(parameter, among: parameters))
            }
            do { starts[parameter] = try StartExpression(text, grid: coordinates.count == 2) } catch let error as ExpressionError {
                throw ExpressionError("start value of \(parameter): " + error.message, source: error.source, offset: error.offset)
            }
        }
        for (parameter, range) in bounds {
            guard parameters.contains(parameter) else {
                throw ExpressionError("bounds name '\(parameter)', which is no parameter" + NameSuggestion.hint(parameter, among: parameters))
            }
            guard !range.lowerBound.isNaN, !range.upperBound.isNaN else { throw ExpressionError("bounds of \(parameter) are NaN") }
        }
        let check = try DerivativeCheck.run(model)
        return CompiledModel(definition: self, expression: model, program: InstructionProgram(model),
                             openCLSource: OpenCLModelSource.source(model), starts: starts, derivativeCheck: check)
    }
}

/// A runtime model ready for the backends: its graph, its CPU program, its OpenCL model source,
/// its start expressions and the result of its derivative check.
public struct CompiledModel: Sendable {
    public let definition: ModelDefinition
    public let expression: ModelExpression
    public let program: InstructionProgram
    public let openCLSource: String
    public let starts: [String: StartExpression]
    public let derivativeCheck: DerivativeCheck

    /// The parameters with no start expression: a fit of this model needs their start values given.
    public var parametersWithoutStart: [String] { definition.parameters.filter { starts[$0] == nil } }
}
