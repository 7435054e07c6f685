import ArgumentParser
import FitCore
import ModelLanguage

/// `femtofit model`: runtime models (docs/models.md).
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Runtime models: check a model file.",
        subcommands: [ModelCheckCommand.self])
}

/// `femtofit model check MODEL.toml`: reads, checks and differentiates a model file, and prints
/// how femtofit read it; with `--opencl`, the OpenCL model source the OpenCL backend compiles.
struct ModelCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Read a model file, check it and print the parsed expression, its derivatives and a finite-difference check.")

    @Argument(help: "The model file (TOML: name, coordinates, parameters, expression, optional [start], [bounds] and [positions]).")
    var file: String

    @Flag(help: "Also print the OpenCL model source generated from the expression.")
    var opencl = false

    func run() throws {
        try reportingErrors(file) {
            let compiled: CompiledModel
            do { compiled = try ModelFile.read(file).compile() } catch let error as ExpressionError {
                throw ModelFileError(file: file, error: error)
            }
            for line in Self.report(compiled) { print(line) }
            if opencl { print("OpenCL model source:\n" + compiled.openCLSource, terminator: "") }
        }
    }

    /// How often the CPU program's instructions run: per pass, per column, per row, per point.
    static func stagesLine(_ program: StagedProgram) -> String {
        let (pass, column, row, point) = program.stageSizes
        return program.isGrid
            ? "CPU program: \(pass) instructions per pass, \(column) per column, \(row) per row, \(point) per pixel"
            : "CPU program: \(pass) instructions per pass, \(point) per point"
    }

    static func report(_ compiled: CompiledModel) -> [String] {
        let d = compiled.definition, e = compiled.expression
        var lines = ["model \(d.name): \(d.parameters.count) parameters (\(d.parameters.joined(separator: ", "))) of (\(d.coordinates.joined(separator: ", ")))",
                     "read as: \(e.parsedText)",
                     "graph: \(e.graph.nodes.count) nodes for the value and \(d.parameters.count) derivatives (\(e.operationCount) operations, shared subexpressions computed once)",
                     Self.stagesLine(compiled.program)]
        for (j, parameter) in d.parameters.enumerated() {
            lines.append("  d/d\(parameter): \(e.operationCount(of: e.derivatives[j])) operations")
        }
        for parameter in d.parameters {
            let start = compiled.starts[parameter].map { "start \($0.text)" } ?? "no start expression (give start values)"
            let bounds = d.bounds[parameter].map { ", bounds [\($0.lowerBound), \($0.upperBound)]" } ?? ""
            lines.append("  \(parameter): \(start)\(bounds)")
        }
        lines.append(compiled.derivativeCheck.description)
        return lines
    }
}

/// A model file's fault: the file, then the message with its column and caret.
struct ModelFileError: Error, CustomStringConvertible {
    let file: String
    let error: ExpressionError
    var description: String { "\(file): \(error)" }
}
