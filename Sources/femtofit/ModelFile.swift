import FitCore
import Foundation
import ModelLanguage

/// A runtime model's file (docs/models.md) read into a `ModelDefinition` by `ModelText`, the
/// reader the C library and Python share; faults name the file.
enum ModelFile {
    static func read(_ path: String) throws -> ModelDefinition {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ModelFileError(file: path, error: ExpressionError("cannot read the model file: \(error.localizedDescription); check the path"))
        }
        do { return try ModelText.parse(text) } catch let error as ExpressionError { throw ModelFileError(file: path, error: error) }
    }

    /// Reads, compiles and registers the model of file `path` for the engine.
    static func register(_ path: String) throws -> RuntimeModel {
        let definition = try read(path)
        do { return try definition.compile().register() } catch let error as ExpressionError { throw ModelFileError(file: path, error: error) }
    }
}
