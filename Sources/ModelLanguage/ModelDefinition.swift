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
    /// A grid model's position parameters, "x" and "y" → parameter name: they move with a ROI's
    /// origin (so they are reported in frame coordinates, as the built-in models' x0 and y0 are).
    /// nil: the parameters named x0 and y0, where a grid model has them.
    public var positions: [String: String]?

    public init(name: String, coordinates: [String], parameters: [String], expression: String,
                start: [String: String] = [:], bounds: [String: ClosedRange<Double>] = [:], positions: [String: String]? = nil) {
        self.name = name; self.coordinates = coordinates; self.parameters = parameters
        self.expression = expression; self.start = start; self.bounds = bounds; self.positions = positions
    }

    /// The position parameters' indices (x, y), named or inferred.
    func positionIndices() throws -> (x: Int?, y: Int?) {
        guard coordinates.count == 2 else {
            if let positions, !positions.isEmpty { throw ExpressionError("positions are for grid models (coordinates [\"x\", \"y\"]); a curve has no ROI origin") }
            return (nil, nil)
        }
        guard let positions else { return (parameters.firstIndex(of: "x0"), parameters.firstIndex(of: "y0")) }
        var result: (x: Int?, y: Int?) = (nil, nil)
        for (axis, parameter) in positions {
            guard axis == "x" || axis == "y" else {
                throw ExpressionError("positions name axis '\(axis)'; the axes are x and y" + NameSuggestion.hint(axis, among: ["x", "y"]))
            }
            guard let index = parameters.firstIndex(of: parameter) else {
                throw ExpressionError("positions name '\(parameter)', which is no parameter" + NameSuggestion.hint(parameter, among: parameters))
            }
            if axis == "x" { result.x = index } else { result.y = index }
        }
        return result
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
        let positions = try positionIndices()
        let check = try DerivativeCheck.run(model)
        return CompiledModel(definition: self, expression: model, program: StagedCompiler.compile(model),
                             openCLSource: OpenCLModelSource.source(model, name: name), starts: starts,
                             start: StagedCompiler.compile(starts: starts, parameters: parameters), positions: positions,
                             derivativeCheck: check)
    }
}

/// A runtime model ready for the backends: its graph, its CPU program, its OpenCL model source,
/// its start expressions and the result of its derivative check.
public struct CompiledModel: Sendable {
    public let definition: ModelDefinition
    public let expression: ModelExpression
    /// The CPU form: the value and derivatives in stages (`StagedProgram`).
    public let program: StagedProgram
    public let openCLSource: String
    public let starts: [String: StartExpression]
    /// The start expressions as one program (`RuntimeStart`).
    public let start: RuntimeStart
    /// The position parameters (they move with a ROI's origin).
    public let positions: (x: Int?, y: Int?)
    public let derivativeCheck: DerivativeCheck

    /// The parameters with no start expression: a fit of this model needs their start values given.
    public var parametersWithoutStart: [String] { definition.parameters.filter { starts[$0] == nil } }

    /// The model as the engine takes it, not yet registered (`RuntimeModels.register` gives it an id).
    public var runtimeModel: RuntimeModel {
        let d = definition
        return RuntimeModel(name: d.name, parameterNames: d.parameters, geometry: d.coordinates.count == 2 ? .grid : .curve,
                            text: d.canonicalText, program: program, openCLSource: openCLSource, start: start,
                            lowerBounds: d.parameters.map { d.bounds[$0]?.lowerBound ?? -.infinity },
                            upperBounds: d.parameters.map { d.bounds[$0]?.upperBound ?? .infinity },
                            xParameter: positions.x, yParameter: positions.y)
    }

    /// Registers the model with the engine under a new id (`RuntimeModels`): fit it with
    /// `FitBatch(model: registered.modelID, ...)`; release it with `RuntimeModels.release`.
    public func register() throws -> RuntimeModel { try RuntimeModels.register(runtimeModel) }
}

extension ModelDefinition {
    /// Every field in one text, in a fixed order: what identifies the model (program cache keys).
    public var canonicalText: String {
        var text = "name = \(name)\ncoordinates = \(coordinates)\nparameters = \(parameters)\nexpression = \(expression)\n"
        for key in start.keys.sorted() { text += "start.\(key) = \(start[key]!)\n" }
        for key in bounds.keys.sorted() { text += "bounds.\(key) = \(bounds[key]!)\n" }
        for key in (positions ?? [:]).keys.sorted() { text += "positions.\(key) = \(positions![key]!)\n" }
        return text
    }
}
