import CFemtofit
import FitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// femtofit's model ids in the C API: 1000 + `ModelID`'s raw value, a namespace of their own
/// (Gpufit's ids are 0 to 12, and `ModelID` reuses Gpufit's numbers where Gpufit has the model).
enum CModelID {
    static let offset = ModelDescriptor.cIDOffset

    /// The model of C id `id`: a built-in one, or a compiled one until it is released.
    static func model(_ id: Int32) -> ModelID? {
        guard id >= offset, let model = ModelID(rawValue: id - offset) else { return nil }
        return model.isRuntime && model.runtimeModel == nil ? nil : model
    }

    static func id(_ model: ModelID) -> Int32 { model.descriptor.cID }
}

/// Model names as C strings that live as long as the library.
private let cModelNames: [ModelID: UnsafeMutablePointer<CChar>] = Dictionary(
    uniqueKeysWithValues: ModelID.allCases.map { ($0, strdup($0.name)!) })
/// Parameter names as C strings, per model.
private let cParameterNames: [ModelID: [UnsafeMutablePointer<CChar>]] = Dictionary(
    uniqueKeysWithValues: ModelID.allCases.map { model in (model, model.parameterNames.map { strdup($0)! }) })
private let cVersion: UnsafeMutablePointer<CChar> = strdup(FemtofitVersion.current)!

@_cdecl("femtofit_model_parameter_count")
public func femtofitModelParameterCount(_ id: Int32) -> Int32 {
    guard let model = CModelID.model(id) else { return fail(unknownModel(id)) }
    return Int32(model.parameterCount)
}

@_cdecl("femtofit_model_name")
public func femtofitModelName(_ id: Int32) -> UnsafePointer<CChar>? {
    guard let model = CModelID.model(id) else {
        _ = fail(unknownModel(id))
        return nil
    }
    return model.isRuntime ? CompiledModels.name(model.rawValue) : UnsafePointer(cModelNames[model]!)
}

@_cdecl("femtofit_model_id")
public func femtofitModelID(_ name: UnsafePointer<CChar>?) -> Int32 {
    guard let name, let model = ModelID(name: String(cString: name)) else {
        if let name, let compiled = CompiledModels.id(named: String(cString: name)) { return compiled }
        return fail("unknown model name \(name.map { "'\(String(cString: $0))'" } ?? "NULL"); known: "
                    + ModelID.allCases.map(\.name).joined(separator: ", ") + " and the compiled models")
    }
    return CModelID.id(model)
}

@_cdecl("femtofit_model_parameter_name")
public func femtofitModelParameterName(_ id: Int32, _ index: Int32) -> UnsafePointer<CChar>? {
    guard let model = CModelID.model(id) else {
        _ = fail(unknownModel(id))
        return nil
    }
    guard index >= 0, Int(index) < model.parameterCount else {
        _ = fail("\(model.name) has parameters 0 to \(model.parameterCount - 1), not \(index)")
        return nil
    }
    return model.isRuntime ? CompiledModels.parameterName(model.rawValue, Int(index)) : UnsafePointer(cParameterNames[model]![Int(index)])
}

@_cdecl("femtofit_model_dimensions")
public func femtofitModelDimensions(_ id: Int32) -> Int32 {
    guard let model = CModelID.model(id) else { return fail(unknownModel(id)) }
    return model.geometry == .grid ? 2 : 1
}

@_cdecl("femtofit_model_ids")
public func femtofitModelIDs(_ ids: UnsafeMutablePointer<Int32>?, _ capacity: Int32) -> Int32 {
    let all = ModelID.allCases.map(CModelID.id)
    if let ids {
        for (k, id) in all.prefix(max(0, Int(capacity))).enumerated() { ids[k] = id }
    }
    return Int32(all.count)
}

@_cdecl("femtofit_version")
public func femtofitVersion() -> UnsafePointer<CChar> { UnsafePointer(cVersion) }

@_cdecl("femtofit_api_version")
public func femtofitAPIVersion() -> Int32 { FEMTOFIT_API_VERSION }

func unknownModel(_ id: Int32) -> String {
    if id >= CModelID.offset, RuntimeModels.isReleased(id - CModelID.offset) {
        return "model \(id) (\(ModelID(rawValue: id - CModelID.offset)?.name ?? "compiled")) was released: compile it again for a new id"
    }
    let known = ModelID.allCases.map { "\(CModelID.id($0)) (\($0.name))" }.joined(separator: ", ")
    if id >= 0 && id < CModelID.offset {
        return "unknown model id \(id): femtofit's C API numbers its models from 1000 (\(known)); ids below 1000 are Gpufit's, for the gpufit_* functions"
    }
    return "unknown model id \(id); known: \(known)"
}
