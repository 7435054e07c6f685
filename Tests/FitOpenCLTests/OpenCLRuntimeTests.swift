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
    /// The program cache stays bounded: entries unused for a month go, then the least recently
    /// used while the folder is over its size; the entry just stored and other files stay.
    func testTheProgramCacheIsPruned() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("femtofit-prune-\(UInt64.random(in: 0 ... .max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var cache = ProgramDiskCache(folder: folder.path)
        cache.maximumBytes = 2500
        let now = Date()
        // name, days since last use, bytes
        let entries: [(String, Double, Int)] = [("a.bin", 40, 10), ("b.bin", 1, 1000), ("c.bin", 2, 1000), ("d.bin", 3, 1000),
                                                ("e.bin", 4, 1000), ("notes.txt", 400, 10)]
        for (name, days, bytes) in entries {
            let url = folder.appendingPathComponent(name)
            try Data(repeating: 1, count: bytes).write(to: url)
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-days * 86400)], ofItemAtPath: url.path)
        }
        cache.prune(keeping: folder.appendingPathComponent("e.bin").path, now: now.timeIntervalSince1970)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        // a: a month unused; d: past 2500 bytes counting from the most recently used; e: just stored.
        XCTAssertEqual(left, ["b.bin", "c.bin", "e.bin", "notes.txt"])
        XCTAssertNotNil(cache.load(folder.appendingPathComponent("c.bin").path))
        let used = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("c.bin").path)[.modificationDate] as! Date
        XCTAssertLessThan(abs(used.timeIntervalSinceNow), 60, "a load marks the entry used")
    }

    func testBuiltProgramsAreCachedOnDisk() throws {
        let library = try OpenCLLibrary.shared.get()
        let device = try OpenCLDevice.select(nil, among: try OpenCLDevice.all(library))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("femtofit-cache-\(UInt64.random(in: 0 ... .max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = ProgramDiskCache(folder: folder.path)
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
        XCTAssertEqual(ProgramDiskCache.fromEnvironment(["HOME": "/home/x"])?.folder, "/home/x/.cache/femtofit/opencl")
        XCTAssertEqual(ProgramDiskCache.fromEnvironment(["XDG_CACHE_HOME": "/c", "HOME": "/home/x"])?.folder, "/c/femtofit/opencl")
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
