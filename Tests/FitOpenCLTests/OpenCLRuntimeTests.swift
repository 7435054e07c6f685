import FitCore
import FitEngine
import FitOpenCL
import XCTest
import FemtofitTestSupport

/// Loading OpenCL, listing devices, building programs and the embedded kernel sources.
final class OpenCLRuntimeTests: XCTestCase {
    /// With the library hidden, opening it fails with a message that says what to install, and
    /// `auto` still fits on the CPU.
    func testHiddenLibraryGivesAClearErrorAndAutoStillFits() throws {
        XCTAssertThrowsError(try OpenCLLibrary.open(environment: ["FEMTOFIT_OPENCL_LIBRARY": "/nonexistent/libOpenCL.so.1"])) {
            XCTAssertTrue("\($0)".contains("no OpenCL library found"), "\($0)")
            XCTAssertTrue("\($0)".contains("--backend cpu"), "\($0)")
        }
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 8, seed: 3)
        let auto = try BackendChoice.auto.makeBackend(precision: .single)
        let results = try FitEngine(backend: auto).fit(fits.batch)
        XCTAssertEqual(results.state(0), .converged)
    }

    func testDevicesAreListedAndSelectable() throws {
        let library = try OpenCLLibrary.shared.get()
        let devices = try OpenCLDevice.all(library)
        XCTAssertFalse(devices.isEmpty)
        let first = devices[0]
        XCTAssertFalse(first.name.isEmpty)
        XCTAssertGreaterThan(first.computeUnits, 0)
        XCTAssertGreaterThan(first.globalMemoryBytes, 0)
        XCTAssertEqual(try OpenCLDevice.select("0", among: devices), first)
        XCTAssertEqual(try OpenCLDevice.select(first.kind.rawValue, among: devices).kind, first.kind)
        XCTAssertEqual(try OpenCLDevice.select(String(first.name.prefix(4)).uppercased(), among: devices).name.prefix(4), first.name.prefix(4))
        XCTAssertThrowsError(try OpenCLDevice.select("99", among: devices)) { XCTAssertTrue("\($0)".contains("femtofit devices")) }
        XCTAssertThrowsError(try OpenCLDevice.select("no-such-device", among: devices))
    }

    func testABuildErrorShowsTheCompilerLog() throws {
        let library = try OpenCLLibrary.shared.get()
        let device = try OpenCLDevice.select(nil, among: try OpenCLDevice.all(library))
        let context = try OpenCLContext.shared(library: library, device: device)
        XCTAssertThrowsError(try context.program("__kernel void broken(__global float* x) { x[0] = undeclared_name; }")) { error in
            guard case let OpenCLError.build(log, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(log.contains("undeclared_name"), log)
        }
    }

    /// A second process (here: a second context) loads the built program from the disk cache and
    /// fits exactly as the first did; a corrupt cache file is rebuilt from source, not trusted.
    func testBuiltProgramsAreCachedOnDisk() throws {
        let library = try OpenCLLibrary.shared.get()
        let device = try OpenCLDevice.select(nil, among: try OpenCLDevice.all(library))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("femtofit-cache-\(UInt64.random(in: 0 ... .max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = ProgramDiskCache(folder: folder)
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: 20, seed: freshSeed(5))
        let prepared = try PreparedFits(fits.batch, settings: FitSettings())

        func solve(_ context: OpenCLContext) throws -> FitResults {
            var results = FitResults(unwrittenFor: fits.batch.model, fitCount: 20)
            results.problems = prepared.problems
            try OpenCLSolver(context: context, precision: .single).solve(prepared, into: &results)
            return results
        }
        let first = try OpenCLContext(library: library, device: device, diskCache: cache)
        let built = try solve(first)
        XCTAssertEqual(first.lastProgramOrigin, "source")
        _ = try solve(first)
        XCTAssertEqual(first.lastProgramOrigin, "memory")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertEqual(files.count, 1, "one program, one file: \(files)")

        let second = try OpenCLContext(library: library, device: device, diskCache: cache)
        let loaded = try solve(second)
        XCTAssertEqual(second.lastProgramOrigin, "disk")
        XCTAssertEqual(loaded.parameters, built.parameters)
        XCTAssertEqual(loaded.stateCodes, built.stateCodes)

        try Data("not a program".utf8).write(to: folder.appendingPathComponent(files[0]))
        let third = try OpenCLContext(library: library, device: device, diskCache: cache)
        let rebuilt = try solve(third)
        XCTAssertEqual(third.lastProgramOrigin, "source")
        XCTAssertEqual(rebuilt.parameters, built.parameters)
        XCTAssertGreaterThan(try Data(contentsOf: folder.appendingPathComponent(files[0])).count, 100, "the corrupt file is replaced")

        XCTAssertNil(ProgramDiskCache.fromEnvironment(["FEMTOFIT_CACHE_DIR": "off", "HOME": "/home/x"]))
        XCTAssertEqual(ProgramDiskCache.fromEnvironment(["HOME": "/home/x"])?.folder.path, "/home/x/.cache/femtofit/opencl")
        XCTAssertEqual(ProgramDiskCache.fromEnvironment(["XDG_CACHE_HOME": "/c", "HOME": "/home/x"])?.folder.path, "/c/femtofit/opencl")
    }

    /// The sources inside the binary are the files in Kernels/ (re-run scripts/embed-kernels.py).
    func testEmbeddedKernelsMatchTheKernelsFolder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let kernels = root.appendingPathComponent("Kernels")
        let files = FileManager.default.enumerator(atPath: kernels.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".cl") }
        XCTAssertGreaterThan(files.count, 4)
        XCTAssertEqual(Set(files), Set(KernelSource.embeddedFileNames), "run scripts/embed-kernels.py")
        for file in files {
            let text = try String(contentsOf: kernels.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(KernelSource.embedded(file)?.trimmingCharacters(in: .newlines), text.trimmingCharacters(in: .newlines),
                           "\(file) differs from its embedded copy: run scripts/embed-kernels.py")
        }
    }
}
