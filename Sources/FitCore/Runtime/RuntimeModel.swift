/// A model defined at run time (issue 20), compiled by module ModelLanguage from its text and
/// registered under an id of its own (`RuntimeModels`): what every backend needs to fit it. The
/// CPU backend and the float64 reference run its `program`; the OpenCL backend compiles its
/// `openCLSource`; the preparation takes its start values and default bounds from here.
///
/// Immutable and shared: a batch's preparation holds the model it was prepared with, so
/// releasing the id while fits run changes nothing for them.
public final class RuntimeModel: Sendable {
    /// The id it was registered under (0 before), and its descriptor row.
    public let id: Int32
    public let descriptor: ModelDescriptor
    /// The text it was compiled from, as the program cache keys it (with the OpenCL source).
    public let text: String
    public let program: StagedProgram
    /// A `Kernels/models/*.cl`-style model file: `ff_model(p, x, y, d)`.
    public let openCLSource: String
    /// Start values from each fit's data; nil where none is given (those need given start values).
    public let start: RuntimeStart
    /// Default bounds where a batch gives none (-inf / +inf: open).
    public let lowerBounds: [Double], upperBounds: [Double]

    public init(id: Int32 = 0, name: String, parameterNames: [String], geometry: ModelID.Geometry, text: String,
                program: StagedProgram, openCLSource: String, start: RuntimeStart, lowerBounds: [Double], upperBounds: [Double],
                xParameter: Int? = nil, yParameter: Int? = nil, lengthParameters: [Int]? = nil) {
        precondition(program.parameterCount == parameterNames.count && lowerBounds.count == parameterNames.count
                     && upperBounds.count == parameterNames.count && start.parameterCount == parameterNames.count,
                     "a runtime model's parts agree on its parameters")
        self.id = id
        self.text = text
        self.program = program
        self.openCLSource = openCLSource
        self.start = start
        self.lowerBounds = lowerBounds
        self.upperBounds = upperBounds
        let lengths = lengthParameters ?? [xParameter, yParameter].compactMap { $0 }
        descriptor = ModelDescriptor(id: id, name: name, parameterNames: parameterNames, geometry: geometry, gpufitID: nil,
                                     cName: "", kernelFile: "", accumulator: .loop, startRule: .expressions,
                                     xParameter: xParameter, yParameter: yParameter, lengthParameters: lengths, needsContrast: false)
    }

    /// The same model under id `id`.
    func registered(as id: Int32) -> RuntimeModel {
        RuntimeModel(id: id, name: descriptor.name, parameterNames: descriptor.parameterNames, geometry: descriptor.geometry,
                     text: text, program: program, openCLSource: openCLSource, start: start, lowerBounds: lowerBounds,
                     upperBounds: upperBounds, xParameter: descriptor.xParameter, yParameter: descriptor.yParameter,
                     lengthParameters: descriptor.lengthParameters)
    }

    public var parameterCount: Int { descriptor.parameterCount }
    /// The id batches name it by; a model must be registered first (`RuntimeModels.register`).
    public var modelID: ModelID {
        precondition(id >= RuntimeModels.firstID, "\(descriptor.name) is not registered: fit the model RuntimeModels.register returns")
        return ModelID(registered: id)
    }
}

/// The runtime models in use, by id: thread-safe, ids never reused. Ids are femtofit ids from
/// `firstID` up (the C API's from 1000 + `firstID` = 10000 up), apart from every built-in id.
///
/// A released id keeps its descriptor (so results and messages of fits already running still
/// name it) but no longer has a model: a new batch with it is refused ("released").
public enum RuntimeModels {
    public static let firstID: Int32 = 9000
    /// How many runtime models may be registered at once.
    public static let capacity = 4096

    private static let lock = FitLock()
    nonisolated(unsafe) private static var models: [Int32: RuntimeModel] = [:]
    nonisolated(unsafe) private static var released: [Int32: ModelDescriptor] = [:]
    nonisolated(unsafe) private static var nextID: Int32 = firstID

    /// Registers `model` under a new id.
    public static func register(_ model: RuntimeModel) throws -> RuntimeModel {
        lock.lock(); defer { lock.unlock() }
        guard models.count < capacity else {
            throw FitError.invalidBatch("\(capacity) runtime models are registered: release some (femtofit_model_release) before compiling more")
        }
        guard nextID < Int32.max - ModelDescriptor.cIDOffset else { throw FitError.invalidBatch("runtime model ids are used up") }
        let registered = model.registered(as: nextID)
        models[nextID] = registered
        nextID += 1
        return registered
    }

    /// Releases id `id`; false when it is no registered runtime model.
    @discardableResult
    public static func release(_ id: Int32) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let model = models.removeValue(forKey: id) else { return false }
        released[id] = model.descriptor
        return true
    }

    /// The registered model of id `id`, if it has not been released.
    public static func model(_ id: Int32) -> RuntimeModel? {
        lock.lock(); defer { lock.unlock() }
        return models[id]
    }

    /// The descriptor of runtime id `id`, registered or released.
    static func descriptor(_ id: Int32) -> ModelDescriptor? {
        lock.lock(); defer { lock.unlock() }
        return models[id]?.descriptor ?? released[id]
    }

    /// Whether `id` was registered and then released.
    public static func isReleased(_ id: Int32) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return released[id] != nil
    }

    /// The registered models, by id.
    public static var all: [RuntimeModel] {
        lock.lock(); defer { lock.unlock() }
        return models.values.sorted { $0.id < $1.id }
    }
}
