import Acquisition
import FitEngine
import XCTest

/// Objects that run a thread of their own are freed once that thread is stopped. A finished
/// `Thread` keeps its closure, which holds its owner: an owner that kept the finished thread was a
/// cycle that never went away (found by LeakSanitizer in `scripts/hardening asan`), one live fitter
/// per scan for a long-running front end.
final class ThreadOwnerReleaseTests: XCTestCase {
    func testALiveFitterIsFreedAfterFinish() {
        weak var released: LiveFitter?
        do {
            let fitter = LiveFitter(pixelSizeNm: 50, capacity: 2, engine: FitEngine())
            fitter.start()
            fitter.finish()
            released = fitter
        }
        XCTAssertNil(released, "the live fitter outlived its finished thread")
    }

    func testANewportEmulatorIsFreedAfterShutdown() throws {
        weak var released: NewportEmulator?
        do {
            let emulator = NewportEmulator(travel: 0...25, velocity: 100, homingTime: 0.05, resetTime: 0.05)
            _ = try emulator.serve()
            emulator.shutdown()
            released = emulator
        }
        XCTAssertNil(released, "the emulator outlived its stopped thread")
    }
}
