import CFemtofit
import FitCore
import FitEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a `femtofit_context *` points to: an engine on one backend, its description as a C
/// string, and the cancel request.
final class Context {
    let engine: FitEngine
    let description: UnsafeMutablePointer<CChar>
    let cancelFlag: UnsafeMutablePointer<Int32>
    /// Fits on this context take turns.
    let lock = FitLock()

    init(engine: FitEngine) {
        self.engine = engine
        description = strdup("\(engine.backend.name): \(engine.backend.deviceDescription)")!
        cancelFlag = .allocate(capacity: 1)
        cancelFlag.initialize(to: 0)
    }

    deinit {
        free(description)
        cancelFlag.deallocate()
    }

    var cancelRequested: Bool { femtofit_internal_flag_load(cancelFlag) != 0 }
    func requestCancel() { femtofit_internal_flag_store(cancelFlag, 1) }
    func clearCancel() { femtofit_internal_flag_store(cancelFlag, 0) }

}

@_cdecl("femtofit_context_create")
public func femtofitContextCreate(_ backend: Int32, _ precision: Int32, _ device: UnsafePointer<CChar>?,
                                  _ threads: Int32) -> OpaquePointer? {
    let choices: [Int32: BackendChoice] = [FEMTOFIT_BACKEND_AUTO: .auto, FEMTOFIT_BACKEND_CPU: .cpu,
                                           FEMTOFIT_BACKEND_OPENCL: .opencl, FEMTOFIT_BACKEND_REFERENCE: .reference]
    guard let choice = choices[backend] else {
        _ = fail("unknown backend \(backend): use FEMTOFIT_BACKEND_AUTO, _CPU, _OPENCL or _REFERENCE")
        return nil
    }
    let precisions: [Int32: FitPrecision] = [FEMTOFIT_PRECISION_SINGLE: .single, FEMTOFIT_PRECISION_DOUBLE: .double]
    guard let chosenPrecision = precisions[precision] else {
        _ = fail("unknown precision \(precision): use FEMTOFIT_PRECISION_SINGLE or FEMTOFIT_PRECISION_DOUBLE")
        return nil
    }
    guard threads >= 0 else {
        _ = fail("threads must be 0 (every core) or a positive number, not \(threads)")
        return nil
    }
    do {
        let engine = try FitEngine(choice: choice, precision: chosenPrecision,
                                   threadCount: threads == 0 ? nil : Int(threads),
                                   device: device.map { String(cString: $0) })
        return ContextRegistry.register(Context(engine: engine))
    } catch {
        _ = fail("cannot create a \(choice.rawValue) context: \(error)")
        return nil
    }
}

@_cdecl("femtofit_context_destroy")
public func femtofitContextDestroy(_ context: OpaquePointer?) -> Int32 {
    guard let context else { return FEMTOFIT_OK }
    guard ContextRegistry.remove(context) else { return fail(ContextRegistry.notLive("femtofit_context_destroy")) }
    return FEMTOFIT_OK
}

@_cdecl("femtofit_context_description")
public func femtofitContextDescription(_ context: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let context else {
        _ = fail("femtofit_context_description: the context is NULL")
        return nil
    }
    guard let live = ContextRegistry.context(context) else {
        _ = fail(ContextRegistry.notLive("femtofit_context_description"))
        return nil
    }
    return UnsafePointer(live.description)
}

@_cdecl("femtofit_cancel")
public func femtofitCancel(_ context: OpaquePointer?) -> Int32 {
    guard let context else { return fail("femtofit_cancel: the context is NULL") }
    guard let live = ContextRegistry.context(context) else { return fail(ContextRegistry.notLive("femtofit_cancel")) }
    live.requestCancel()
    return FEMTOFIT_OK
}
