import CFemtofit
import FemtofitTestSupport
import Foundation
import XCTest

/// The C library's entry points, loaded from the built libfemtofit_c.so.
enum CLibrary {
    static let handle: UnsafeMutableRawPointer = {
        let path = ChildProcess.buildFolder.appendingPathComponent("libfemtofit_c.so").path
        guard let handle = dlopen(path, RTLD_NOW) else {
            fatalError("cannot load \(path) (\(String(cString: dlerror()))): build it with `swift build -c release --product femtofit_c` (scripts/test does)")
        }
        return handle
    }()
    static func symbol<T>(_ name: String, as: T.Type) -> T { unsafeBitCast(dlsym(handle, name)!, to: T.self) }
}

let femtofitContextCreate = CLibrary.symbol("femtofit_context_create",
    as: (@convention(c) (Int32, Int32, UnsafePointer<CChar>?, Int32) -> OpaquePointer?).self)
let femtofitContextDestroy = CLibrary.symbol("femtofit_context_destroy", as: (@convention(c) (OpaquePointer?) -> Int32).self)
let femtofitCancel = CLibrary.symbol("femtofit_cancel", as: (@convention(c) (OpaquePointer?) -> Int32).self)
let femtofitContextDescription = CLibrary.symbol("femtofit_context_description",
    as: (@convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?).self)
let femtofitSettingsInit = CLibrary.symbol("femtofit_settings_init", as: (@convention(c) (UnsafeMutablePointer<femtofit_settings>?) -> Void).self)
let femtofitFit = CLibrary.symbol("femtofit_fit", as: (@convention(c) (OpaquePointer?, UnsafePointer<femtofit_batch>?,
    UnsafePointer<femtofit_settings>?, UnsafePointer<femtofit_results>?) -> Int32).self)

let femtofitModelCompile = CLibrary.symbol("femtofit_model_compile",
    as: (@convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<Int32>?) -> Int32).self)
let femtofitModelRelease = CLibrary.symbol("femtofit_model_release", as: (@convention(c) (Int32) -> Int32).self)
let femtofitModelName = CLibrary.symbol("femtofit_model_name", as: (@convention(c) (Int32) -> UnsafePointer<CChar>?).self)
let femtofitLastError = CLibrary.symbol("femtofit_last_error", as: (@convention(c) () -> UnsafePointer<CChar>?).self)

/// The C API's contexts across threads, in-process through dlopen (so that scripts/hardening runs
/// them under AddressSanitizer and ThreadSanitizer, with the library built likewise): threads fitting on one shared context take turns, a
/// cancel from another thread stops a fit, and a destroy while another thread fits frees the
/// context only when that fit returns; every call on the destroyed handle then fails cleanly.
final class CAPIThreadTests: XCTestCase {
    /// A line fit of `fits` curves of 8 points: 3 + 2x plus a per-fit offset.
    struct Lines {
        var data: [Float]
        let xs: [Float] = (0..<8).map { 0.5 * Float($0) - 1 }
        init(fits: Int) {
            data = []
            for i in 0..<fits { for x in xs { data.append(3 + 0.001 * Float(i % 100) + 2 * x) } }
        }
        func fit(_ context: OpaquePointer, fits: Int, settings: UnsafePointer<femtofit_settings>? = nil) -> (status: Int32, parameters: [Double]) {
            var parameters = [Double](repeating: .nan, count: 2 * fits)
            let status = data.withUnsafeBufferPointer { d in xs.withUnsafeBufferPointer { x in
                parameters.withUnsafeMutableBufferPointer { p -> Int32 in
                    var batch = femtofit_batch()
                    batch.model = FEMTOFIT_MODEL_LINEAR_1D
                    batch.n_fits = fits
                    batch.n_points = 8
                    batch.value_type = FEMTOFIT_FLOAT32
                    batch.data = UnsafeRawPointer(d.baseAddress)
                    batch.x = UnsafeRawPointer(x.baseAddress)
                    var results = femtofit_results(parameters: p.baseAddress, standard_errors: nil, states: nil, chi_squares: nil, iterations: nil)
                    return femtofitFit(context, &batch, settings, &results)
                }
            } }
            return (status, parameters)
        }
    }

    func testThreadsShareAContextAndEachGetsItsOwnFits() throws {
        let context = try XCTUnwrap(femtofitContextCreate(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_SINGLE, nil, 2))
        defer { XCTAssertEqual(femtofitContextDestroy(context), FEMTOFIT_OK) }
        let lines = Lines(fits: 3_000)
        let outcomes = UnsafeMutableBufferPointer<(Int32, [Double])>.allocate(capacity: 4)
        // Every slot is initialized by the time this runs (LeakSanitizer found the arrays leaked
        // when only deallocated).
        defer { outcomes.deinitialize(); outcomes.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { k in
            let r = lines.fit(context, fits: 1_000 * (k % 3 + 1))
            (outcomes.baseAddress! + k).initialize(to: (r.status, r.parameters))
        }
        for k in 0..<4 {
            XCTAssertEqual(outcomes[k].0, FEMTOFIT_OK)
            let fits = 1_000 * (k % 3 + 1)
            XCTAssertEqual(outcomes[k].1[2 * (fits - 1)], 3 + 0.001 * Double((fits - 1) % 100), accuracy: 1e-4)
            XCTAssertEqual(outcomes[k].1[2 * (fits - 1) + 1], 2, accuracy: 1e-4)
        }
    }

    func testCancelFromAnotherThreadAndDestroyDuringAFit() throws {
        let context = try XCTUnwrap(femtofitContextCreate(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_SINGLE, nil, 1))
        let lines = Lines(fits: 200_000)
        // A progress callback that waits until the other thread has cancelled, then goes on: the
        // fit must end CANCELLED after the chunk in progress.
        let started = DispatchSemaphore(value: 0), cancelled = DispatchSemaphore(value: 0)
        final class Gate: @unchecked Sendable { let started: DispatchSemaphore; let cancelled: DispatchSemaphore
            init(_ a: DispatchSemaphore, _ b: DispatchSemaphore) { started = a; cancelled = b } }
        let gate = Gate(started, cancelled)
        var settings = femtofit_settings()
        femtofitSettingsInit(&settings)
        settings.progress = { _, _, user in
            let gate = Unmanaged<Gate>.fromOpaque(user!).takeUnretainedValue()
            gate.started.signal()
            gate.cancelled.wait()
            gate.cancelled.signal()
            return 0
        }
        settings.progress_user_data = Unmanaged.passUnretained(gate).toOpaque()
        let status = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        defer { status.deallocate() }
        // The semaphore orders the fitter's write of the status before the read below
        // (ThreadSanitizer reported the earlier polling of Thread.isFinished as a race).
        let finished = DispatchSemaphore(value: 0)
        let fitter = Thread {
            status.pointee = withUnsafePointer(to: settings) { lines.fit(context, fits: 200_000, settings: $0).status }
            finished.signal()
        }
        fitter.start()
        started.wait()
        XCTAssertEqual(femtofitCancel(context), FEMTOFIT_OK)
        // Destroyed while the fit is still in its callback: the handle dies now, the context lives
        // until the fit returns.
        XCTAssertEqual(femtofitContextDestroy(context), FEMTOFIT_OK)
        cancelled.signal()
        finished.wait()
        XCTAssertEqual(status.pointee, FEMTOFIT_CANCELLED)
        XCTAssertEqual(femtofitContextDestroy(context), FEMTOFIT_ERROR, "a second destroy is refused")
        XCTAssertEqual(femtofitCancel(context), FEMTOFIT_ERROR)
        XCTAssertEqual(lines.fit(context, fits: 10).status, FEMTOFIT_ERROR)
        XCTAssertNil(femtofitContextDescription(context))
    }

    func testManyThreadsCreateFitAndDestroyTheirOwnContexts() {
        let lines = Lines(fits: 500)
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        failures.initialize(to: 0)
        defer { failures.deallocate() }
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            guard let context = femtofitContextCreate(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_SINGLE, nil, 1) else {
                lock.lock(); failures.pointee += 1; lock.unlock(); return
            }
            let ok = lines.fit(context, fits: 500).status == FEMTOFIT_OK
                && femtofitContextDestroy(context) == FEMTOFIT_OK && femtofitContextDestroy(context) == FEMTOFIT_ERROR
            if !ok { lock.lock(); failures.pointee += 1; lock.unlock() }
        }
        XCTAssertEqual(failures.pointee, 0)
    }

    /// Models compiled, fitted and released on many threads at once (16 threads, 5 models each):
    /// each thread's ids are its own and work, and a fault on one thread is that thread's last
    /// error only. (A batch holds its model to the end of its fit: `RuntimeModelFitTests`.)
    func testThreadsCompileFitAndReleaseModels() {
        let lines = Lines(fits: 300)
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        failures.initialize(to: 0)
        defer { failures.deallocate() }
        let lock = NSLock()
        func fail(_ what: String) { lock.lock(); failures.pointee += 1; lock.unlock(); print("thread failure: \(what)") }
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            guard let context = femtofitContextCreate(FEMTOFIT_BACKEND_CPU, FEMTOFIT_PRECISION_SINGLE, nil, 1) else { return fail("context") }
            defer { _ = femtofitContextDestroy(context) }
            for round in 0..<5 {
                let text = "name = \"line-\(i)-\(round)\"\ncoordinates = [\"x\"]\nparameters = [\"offset\", \"slope\"]\nexpression = \"offset + slope * x\"\n"
                    + "[start]\noffset = \"mean\"\nslope = \"0\"\n"
                var id: Int32 = -1
                guard femtofitModelCompile(text, &id) == FEMTOFIT_OK, id >= 10_000 else { return fail("compile") }
                guard String(cString: femtofitModelName(id)!) == "line-\(i)-\(round)" else { return fail("name") }
                // A fault on this thread: its own last error, whatever the others do.
                var unused: Int32 = -1
                guard femtofitModelCompile("name = \"bad-\(i)\"\n", &unused) == FEMTOFIT_ERROR,
                      String(cString: femtofitLastError()!).contains("coordinates") else { return fail("last error") }
                let status = lines.data.withUnsafeBufferPointer { d in lines.xs.withUnsafeBufferPointer { x -> Int32 in
                    var parameters = [Double](repeating: .nan, count: 600)
                    return parameters.withUnsafeMutableBufferPointer { p -> Int32 in
                        var b = femtofit_batch()
                        b.model = id
                        b.n_fits = 300
                        b.n_points = 8
                        b.value_type = FEMTOFIT_FLOAT32
                        b.data = UnsafeRawPointer(d.baseAddress)
                        b.x = UnsafeRawPointer(x.baseAddress)
                        var results = femtofit_results(parameters: p.baseAddress, standard_errors: nil, states: nil, chi_squares: nil, iterations: nil)
                        let status = femtofitFit(context, &b, nil, &results)
                        return status == FEMTOFIT_OK && abs(p[1] - 2) < 1e-4 ? FEMTOFIT_OK : FEMTOFIT_ERROR
                    }
                } }
                guard status == FEMTOFIT_OK else { return fail("fit with \(id)") }
                guard femtofitModelRelease(id) == FEMTOFIT_OK, femtofitModelRelease(id) == FEMTOFIT_ERROR else { return fail("release") }
            }
        }
        XCTAssertEqual(failures.pointee, 0)
    }
}
