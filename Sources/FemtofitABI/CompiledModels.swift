import CFemtofit
import FitCore
import ModelLanguage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C API's models defined at run time (`femtofit_model_compile`, `femtofit_model_release`):
/// the engine's registry (`RuntimeModels`) holds the models; this holds their names as C strings,
/// valid from compile to release.
enum CompiledModels {
    private static let lock = FitLock()
    nonisolated(unsafe) private static var names: [Int32: (name: UnsafeMutablePointer<CChar>, parameters: [UnsafeMutablePointer<CChar>])] = [:]

    static func register(_ model: RuntimeModel) {
        lock.lock(); defer { lock.unlock() }
        names[model.id] = (strdup(model.descriptor.name)!, model.descriptor.parameterNames.map { strdup($0)! })
    }

    static func release(_ id: Int32) {
        lock.lock(); defer { lock.unlock() }
        guard let entry = names.removeValue(forKey: id) else { return }
        free(entry.name)
        entry.parameters.forEach { free($0) }
    }

    static func name(_ id: Int32) -> UnsafePointer<CChar>? {
        lock.lock(); defer { lock.unlock() }
        return names[id].map { UnsafePointer($0.name) }
    }

    static func parameterName(_ id: Int32, _ index: Int) -> UnsafePointer<CChar>? {
        lock.lock(); defer { lock.unlock() }
        return names[id].map { UnsafePointer($0.parameters[index]) }
    }

    /// The most recently compiled model named `name` that is still registered.
    static func id(named name: String) -> Int32? {
        RuntimeModels.all.last { $0.descriptor.name == name }.map { $0.descriptor.cID }
    }
}

@_cdecl("femtofit_model_compile")
public func femtofitModelCompile(_ text: UnsafePointer<CChar>?, _ modelID: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let text else { return fail("femtofit_model_compile: the model text is NULL") }
    guard let modelID else { return fail("femtofit_model_compile: model_id is NULL: pass the address of an int for the new id") }
    do {
        let model = try ModelText.parse(String(cString: text)).compile().register()
        CompiledModels.register(model)
        modelID.pointee = model.descriptor.cID
        return FEMTOFIT_OK
    } catch {
        return fail("femtofit_model_compile: \(error)")
    }
}

@_cdecl("femtofit_model_release")
public func femtofitModelRelease(_ id: Int32) -> Int32 {
    let raw = id - CModelID.offset
    guard id >= CModelID.offset, raw >= RuntimeModels.firstID else {
        return fail("femtofit_model_release: \(id) is not a compiled model's id (those are \(RuntimeModels.firstID + CModelID.offset) and up); built-in models are never released")
    }
    guard RuntimeModels.release(raw) else {
        return fail(RuntimeModels.isReleased(raw) ? "femtofit_model_release: model \(id) was released already"
                    : "femtofit_model_release: no compiled model has id \(id)")
    }
    CompiledModels.release(raw)
    return FEMTOFIT_OK
}
