import FitCore

/// How the kernels map fits to work-items; both give the same results.
public enum KernelStrategy: String, Sendable, CaseIterable {
    /// One work-item per fit, fit-major data: on CPU devices the loop over points vectorises.
    case perItem = "item"
    /// One work-group per fit: coalesced loads, sums reduced in local memory (GPUs).
    case perGroup = "group"

    /// `FEMTOFIT_OPENCL_STRATEGY` (`item` or `group`) when set, else by device type.
    public static func preferred(for device: OpenCLDevice, environment: [String: String] = ProcessInfoEnvironment.current) -> KernelStrategy {
        if let named = environment["FEMTOFIT_OPENCL_STRATEGY"].flatMap(KernelStrategy.init(rawValue:)) { return named }
        return device.kind == .gpu ? .perGroup : .perItem
    }

    public var kernelName: String { self == .perItem ? "ff_fit_per_item" : "ff_fit_per_group" }
    var file: String { self == .perItem ? "strategies/fit_per_item.cl" : "strategies/fit_per_group.cl" }
}

/// The OpenCL program for one (model, estimator, shape, precision, strategy): `#define`s, then
/// common.cl, the model's file, the estimator's file, lm.cl and the strategy's kernel, from the
/// sources embedded in the binary.
public struct KernelSource: Hashable, Sendable {
    public let defines: [String]
    public let text: String

    /// The kernel file of each model the OpenCL backend fits (the descriptors' `kernelFile`).
    public static let modelFiles: [ModelID: String] = Dictionary(uniqueKeysWithValues: ModelID.allCases.map { ($0, $0.descriptor.kernelFile) })

    /// Whether the OpenCL backend fits `model`: every built-in model, and every runtime model
    /// (its `RuntimeModel.openCLSource` takes the place of the model file).
    public static func supports(_ model: ModelID) -> Bool { modelFiles[model] != nil || model.isRuntime }

    /// The number of sums a work-group reduces per pass (chi^2, a flag, gradient, curvature).
    public static func sumCount(parameters: Int) -> Int { 2 + parameters + parameters * (parameters + 1) / 2 }

    /// `groupSize`: work-items per fit, for `.perGroup`.
    public init(prepared: PreparedFits, double: Bool, strategy: KernelStrategy = .perItem, groupSize: Int = 64) throws(OpenCLError) {
        let model = prepared.model
        // A runtime model's source, generated from its expression, takes the model file's place;
        // the text is part of the program's key, so each model has its own cached program.
        let runtimeSource = prepared.runtimeModel?.openCLSource
        guard let modelFile = runtimeSource.map({ _ in "runtime model \(model.name)" }) ?? Self.modelFiles[model] else {
            throw OpenCLError.unsupported("the \(model.name) model yet (\(Self.modelFiles.keys.map(\.name).sorted().joined(separator: ", ")) and runtime models are supported)")
        }
        var defines = ["FF_PARAMETERS \(model.parameterCount)", "FF_POINTS \(prepared.pointCount)",
                       "FF_FLOOR_FRACTION \(ConvergenceTest.floorFraction)"]
        switch prepared.batch.coordinates {
        case let .grid(width, _): defines.append("FF_GRID_WIDTH \(width)")
        case .sharedX: defines.append("FF_SHARED_X 1")
        case .perFitX: defines.append("FF_PER_FIT_X 1")
        }
        if prepared.batch.weights != nil { defines.append("FF_WEIGHTED 1") }
        if prepared.settings.estimator == .poissonMLE { defines.append("FF_MLE 1") }
        if prepared.settings.robustErrors { defines.append("FF_ROBUST 1") }
        if prepared.settings.convergence == .gpufit { defines.append("FF_GPUFIT_CONVERGENCE 1") }
        if double { defines.append("FF_DOUBLE 1") }
        if strategy == .perGroup { defines += ["FF_PER_GROUP 1", "FF_GROUP_SIZE \(groupSize)"] }
        if model.exponentialCount > 0 { defines.append("FF_EXPONENTIALS \(model.exponentialCount)") }
        if model.hasCoherentArtifact { defines.append("FF_COHERENT_ARTIFACT 1") }
        if let spline = prepared.batch.spline {
            // The table rides in the xs buffer, after the shared x values (OpenCLSolver).
            guard !prepared.batch.coordinates.isPerFitX else {
                throw OpenCLError.unsupported("spline models with x values per fit (give x values shared by the batch)")
            }
            let offset: Int
            if case .sharedX = prepared.batch.coordinates { offset = prepared.pointCount } else { offset = 0 }
            defines += ["FF_SPLINE_DIMENSIONS \(spline.dimensions)", "FF_SPLINE_INTERVALS_X \(spline.intervals.x)",
                        "FF_SPLINE_INTERVALS_Y \(spline.intervals.y)", "FF_SPLINE_INTERVALS_Z \(spline.intervals.z)",
                        "FF_SPLINE_SLICE_HEIGHT \(spline.sliceHeight ?? 0)", "FF_TABLE_OFFSET \(offset)"]
        }
        var mask = 0
        for (i, free) in prepared.fitMask.enumerated() where !free { mask |= 1 << i }
        defines.append("FF_FIXED_MASK \(mask)")
        self.defines = defines
        let estimatorFile = prepared.settings.estimator == .poissonMLE ? "estimators/mle.cl" : "estimators/lse.cl"
        var text = defines.map { "#define \($0)\n" }.joined()
        for file in ["common.cl", modelFile, estimatorFile, "lm.cl", strategy.file] {
            guard let source = file == modelFile ? runtimeSource ?? EmbeddedKernels.sources[file] : EmbeddedKernels.sources[file] else {
                throw OpenCLError.unsupported("a kernel file \(file) missing from the binary")
            }
            text += "// ---- \(file)\n" + source + "\n"
        }
        self.text = text
    }
}

extension KernelSource {
    /// The kernel files inside the binary, by path relative to `Kernels/`.
    public static var embeddedFileNames: [String] { Array(EmbeddedKernels.sources.keys) }
    public static func embedded(_ file: String) -> String? { EmbeddedKernels.sources[file] }
}
