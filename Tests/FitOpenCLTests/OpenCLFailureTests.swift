import FitCore
import FitCPU
import FitEngine
import FitOpenCL
import XCTest
import FemtofitTestSupport

// Failures injected through the thin call layer (`OpenCLLibrary`'s function table): each ends
// in a clear error from `--backend opencl` and in the CPU's results, with one warning, under
// `auto`; never in silent wrong output. The replacements are C functions, so their state is global.
nonisolated(unsafe) private var realLaunch: OpenCLLibrary.EnqueueNDRangeKernel?
nonisolated(unsafe) private var launchesBeforeFailure = 0
nonisolated(unsafe) private var launchFailure: Int32 = 0

private let failingKernelQuery: OpenCLLibrary.GetKernelWorkGroupInfo = { _, _, _, _, _, _ in -30 }  // CL_INVALID_VALUE
private let failingBuild: OpenCLLibrary.BuildProgram = { _, _, _, _, _, _ in -11 }  // CL_BUILD_PROGRAM_FAILURE
private let countedLaunch: OpenCLLibrary.EnqueueNDRangeKernel = { queue, kernel, dimensions, offset, global, local, waits, waitList, event in
    if launchesBeforeFailure == 0 { return launchFailure }
    launchesBeforeFailure -= 1
    return realLaunch!(queue, kernel, dimensions, offset, global, local, waits, waitList, event)
}

final class OpenCLFailureTests: XCTestCase {
    final class Warnings: @unchecked Sendable { var said: [String] = [] }

    /// A solver on the default device whose library has `change` applied; no disk cache, so a
    /// build really happens.
    func backend(maximumChunk: Int = 1 << 18, _ change: (inout OpenCLLibrary) -> Void) throws -> OpenCLBackend {
        var library = try OpenCLLibrary.shared.get()
        let device = try OpenCLDevice.select(nil, among: try OpenCLDevice.all(library))
        realLaunch = library.enqueueNDRangeKernel
        change(&library)
        let context = try OpenCLContext(library: library, device: device, diskCache: nil)
        return OpenCLBackend(solver: try OpenCLSolver(context: context, precision: .single, maximumChunk: maximumChunk))
    }

    /// `--backend opencl` throws an error containing `expected`; `auto` over the same device gives
    /// exactly the CPU backend's results for two batches, with one warning.
    func assertFailsClearlyAndFallsBack(_ gpu: OpenCLBackend, expected: String, count: Int = 64, line: UInt = #line) throws {
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: count, seed: freshSeed(UInt64(line)))
        XCTAssertThrowsError(try FitEngine(backend: gpu).fit(fits.batch), line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
        }
        let warnings = Warnings()
        let auto = AutomaticBackend(gpu: gpu, cpu: CPUBackend()) { warnings.said.append($0) }
        let cpu = try FitEngine(backend: CPUBackend()).fit(fits.batch)
        for _ in 0..<2 {
            let results = try FitEngine(backend: auto).fit(fits.batch)
            XCTAssertEqual(results.parameters, cpu.parameters, line: line)
            XCTAssertEqual(results.standardErrors, cpu.standardErrors, line: line)
            XCTAssertEqual(results.stateCodes, cpu.stateCodes, line: line)
        }
        XCTAssertEqual(warnings.said.count, 1, "\(warnings.said)", line: line)
        XCTAssertTrue(warnings.said.first?.contains(expected) ?? false, "\(warnings.said)", line: line)
    }

    /// The driver's figures of a kernel (`OpenCLKernelInfo`, for `femtofit bench`) are a
    /// diagnostic: a driver that cannot give them leaves them unknown and the fits as they are.
    func testADriverThatCannotDescribeItsKernelStillFits() throws {
        let gpu = try backend { $0.getKernelWorkGroupInfo = failingKernelQuery }
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 64, seed: freshSeed(59))
        let results = try FitEngine(backend: gpu).fit(fits.batch)
        let plain = try FitEngine(backend: try backend { _ in }).fit(fits.batch)
        XCTAssertNil(gpu.solver.kernels.latest)
        XCTAssertEqual(results.parameters, plain.parameters)
        XCTAssertEqual(results.stateCodes, plain.stateCodes)
    }

    func testAKernelThatFailsToBuild() throws {
        try assertFailsClearlyAndFallsBack(try backend { $0.buildProgram = failingBuild }, expected: "failed to build")
    }

    func testAnOutOfResourcesLaunch() throws {
        let gpu = try backend { $0.enqueueNDRangeKernel = countedLaunch }
        launchesBeforeFailure = 0
        launchFailure = -5  // CL_OUT_OF_RESOURCES
        try assertFailsClearlyAndFallsBack(gpu, expected: "clEnqueueNDRangeKernel (64 fits) failed: CL_OUT_OF_RESOURCES")
    }

    /// The device is lost after three of seven chunks have launched (two of them still in flight).
    func testADeviceThatDisappearsBetweenChunks() throws {
        let gpu = try backend(maximumChunk: 37) { $0.enqueueNDRangeKernel = countedLaunch }
        launchFailure = -2  // CL_DEVICE_NOT_AVAILABLE
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 250, seed: freshSeed(77))
        launchesBeforeFailure = 3
        XCTAssertThrowsError(try FitEngine(backend: gpu).fit(fits.batch)) { error in
            XCTAssertTrue("\(error)".contains("CL_DEVICE_NOT_AVAILABLE"), "\(error)")
        }
        launchesBeforeFailure = 3
        let warnings = Warnings()
        let results = try FitEngine(backend: AutomaticBackend(gpu: gpu, cpu: CPUBackend()) { warnings.said.append($0) }).fit(fits.batch)
        let cpu = try FitEngine(backend: CPUBackend()).fit(fits.batch)
        XCTAssertEqual(results.parameters, cpu.parameters)
        XCTAssertEqual(results.stateCodes, cpu.stateCodes)
        XCTAssertEqual(warnings.said.count, 1)
    }
}
