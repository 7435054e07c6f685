import ArgumentParser
import FitCore
import FitEngine
import TAMData

/// Fitting options shared by `fit` and `demo`.
struct FitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Model: \(ModelDescriptor.names(.grid)) (default gauss2d)."))
    var model: String?
    @Option(name: .customLong("model-file"), help: "A model defined at run time: a model file (TOML; docs/models.md), in place of --model.")
    var modelFile: String?
    @Option(help: "Estimator: lse (least squares) or mle (Poisson maximum likelihood, raw counts only).")
    var estimator = "lse"
    @Option(help: "Backend: auto (an OpenCL GPU if there is one, else the CPU), opencl or cpu.")
    var backend = "auto"
    @Option(help: "OpenCL device: an index, a type (gpu, cpu) or part of its name (see `femtofit devices`; default: FEMTOFIT_DEVICE, else automatic).")
    var device: String?
    @Option(help: "Precision: single or double.")
    var precision = "single"
    @Option(help: "Convergence tolerance on the relative change of chi^2.")
    var tolerance = 1e-4
    @Option(name: .customLong("max-iterations"), help: "Iteration cap per fit.")
    var maxIterations = 20
    @Option(help: "Standard errors: curvature (from the curvature matrix) or robust (sandwich; lse only, honest for uneven noise such as raw counts).")
    var errors = "curvature"

    func validate() throws {
        if model != nil && modelFile != nil {
            throw ValidationError("give --model or --model-file, not both")
        }
        let name = model ?? "gauss2d"
        guard let model = ModelID(name: name) else {
            throw ValidationError("unknown model '\(name)'; choose \(ModelDescriptor.names(.grid)), or define one in a file for --model-file")
        }
        guard model.geometry == .grid else {
            throw ValidationError("model '\(model.name)' fits curves; `femtofit fit` fits frames: choose \(ModelDescriptor.names(.grid))")
        }
        guard Estimator(name: estimator) != nil else { throw ValidationError("unknown estimator '\(estimator)'; choose lse or mle") }
        guard BackendChoice(rawValue: backend) != nil, backend != "reference" else {
            throw ValidationError("unknown backend '\(backend)'; choose auto, opencl or cpu")
        }
        guard FitPrecision(rawValue: precision) != nil else { throw ValidationError("unknown precision '\(precision)'; choose single or double") }
        guard tolerance.isFinite, tolerance > 0 else { throw ValidationError("--tolerance must be a positive number") }
        guard maxIterations >= 1, maxIterations <= 100_000 else { throw ValidationError("--max-iterations must be between 1 and 100000") }
        guard errors == "curvature" || errors == "robust" else { throw ValidationError("unknown --errors '\(errors)'; choose curvature or robust") }
        guard !(errors == "robust" && estimator == "mle") else {
            throw ValidationError("--errors robust is for --estimator lse; MLE's curvature errors are already honest for counts")
        }
    }

    /// The model's name as given (a built-in's, or the model file's path).
    var modelName: String { modelFile ?? model ?? "gauss2d" }

    /// The model: a built-in's id, or the model file's, read, compiled and registered (once per
    /// call: call it once). A runtime model must be a grid model (`femtofit fit` fits frames).
    func resolveModel() throws -> ModelID {
        guard let modelFile else { return ModelID(name: model ?? "gauss2d")! }
        let runtime = try ModelFile.register(modelFile)
        guard runtime.descriptor.geometry == .grid else {
            throw ModelFileError(file: modelFile, error: .init("model \(runtime.descriptor.name) fits curves (coordinates [\"t\"] or [\"x\"]); frames need coordinates = [\"x\", \"y\"] (fit curves with `femtofit kinetics --model-file`)"))
        }
        return runtime.modelID
    }
    var settings: FitSettings {
        FitSettings(tolerance: tolerance, maxIterations: maxIterations, estimator: Estimator(name: estimator)!,
                    robustErrors: errors == "robust")
    }
    func engine() throws -> FitEngine {
        try FitEngine(choice: BackendChoice(rawValue: backend)!, precision: FitPrecision(rawValue: precision)!, device: device)
    }
}

/// Parses "WxH" (e.g. 15x15) into positive integers.
func parseSize(_ text: String, option: String) throws -> (Int, Int) {
    let parts = text.lowercased().split(separator: "x")
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 65_536, h <= 65_536 else {
        throw ValidationError("\(option) takes WIDTHxHEIGHT in pixels, each 1 to 65536, e.g. 15x15 (got '\(text)')")
    }
    return (w, h)
}
