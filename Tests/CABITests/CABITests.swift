import FemtofitTestSupport
import FitCore
import FitEngine
import Foundation
import XCTest

/// The C library as a C program sees it: Tests/CABITests/c/abi_test.c is compiled by the system C
/// compiler against the headers in the repo, linked to the built libfemtofit_c.so, and run. It
/// calls every entry point (the invalid-argument cases included) and writes the inputs and
/// outputs of two fits, which are fitted again here with the Swift API and must agree.
final class CABITests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The built library; `scripts/test` builds it before the tests (`swift test` alone does not
    /// build a library product no test links).
    func library() throws -> URL {
        let file = ChildProcess.buildFolder.appendingPathComponent("libfemtofit_c.so")
        guard FileManager.default.fileExists(atPath: file.path) else {
            XCTFail("\(file.path) is missing: build it with `swift build -c release --product femtofit_c` (scripts/test does)")
            throw CocoaError(.fileNoSuchFile)
        }
        return file
    }

    func testTheLibraryNeedsNoSwiftToolchainAndExportsEveryEntryPoint() throws {
        let library = try library()
        let dynamic = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["readelf", "-d", "-W", library.path])
        XCTAssertEqual(dynamic.status, 0, dynamic.stderr)
        let needed = dynamic.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        XCTAssertFalse(needed.isEmpty, dynamic.stdout)
        for line in needed {
            XCTAssertFalse(line.contains("swift") || line.contains("Foundation") || line.contains("dispatch")
                           || line.contains("fftw"), "the library needs \(line): it would not load without a Swift toolchain")
        }
        // Only the C and C++ runtimes: libc, libm, libstdc++, libgcc_s (and the dynamic loader's
        // own pieces on older glibc: libdl, libpthread, librt, ld-linux).
        let allowed = ["libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "libdl.so", "libpthread.so", "librt.so", "ld-linux"]
        for line in needed {
            XCTAssertTrue(allowed.contains { line.contains("[" + $0) }, "the library needs \(line), beyond libc, libm, libstdc++ and libgcc_s")
        }
        // Lean: no Foundation and no ICU data (they made it 79 MB). Stripped, at most 15 MB.
        let stripped = FileManager.default.temporaryDirectory.appendingPathComponent("femtofit-stripped-\(UUID().uuidString).so")
        defer { try? FileManager.default.removeItem(at: stripped) }
        let strip = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["strip", "-o", stripped.path, library.path])
        XCTAssertEqual(strip.status, 0, strip.stderr)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: stripped.path)[.size] as? NSNumber).intValue
        XCTAssertLessThanOrEqual(size, 15 << 20, "libfemtofit_c.so stripped is \(size >> 20) MB; the budget is 15 MB (docs/c-api.md)")
        let symbols = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["nm", "-D", "--defined-only", library.path])
        XCTAssertEqual(symbols.status, 0, symbols.stderr)
        let exported = Set(symbols.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
        for name in ["gpufit", "gpufit_constrained", "gpufit_get_last_error", "gpufit_cuda_available",
                     "gpufit_get_cuda_version", "gpufit_portable_interface", "gpufit_constrained_portable_interface",
                     "gpufit_cuda_interface", "gpufit_constrained_cuda_interface",
                     "femtofit_context_create", "femtofit_context_destroy", "femtofit_context_description",
                     "femtofit_cancel", "femtofit_settings_init", "femtofit_fit", "femtofit_model_parameter_count",
                     "femtofit_model_name", "femtofit_model_id", "femtofit_model_parameter_name",
                     "femtofit_model_dimensions", "femtofit_model_ids", "femtofit_last_error", "femtofit_version",
                     "femtofit_api_version", "femtofit_fit_spline", "femtofit_model_compile", "femtofit_model_release"] {
            XCTAssertTrue(exported.contains(name), "\(name) is not exported")
        }
    }

    static let include = packageRoot.appendingPathComponent("Sources/CFemtofit/include").path

    /// Compiles `source` (under Tests/CABITests/c) with `compiler` and `flags` against the repo's
    /// headers, linked to the built library, into a fresh folder; nil (after a failed assertion)
    /// when it does not compile. The caller removes the folder.
    func buildProgram(_ source: String, compiler: String, flags: [String]) throws -> (program: URL, folder: URL)? {
        let library = try library()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("femtofit-cabi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let name = (source as NSString).deletingPathExtension
        let program = folder.appendingPathComponent(name)
        let path = Self.packageRoot.appendingPathComponent("Tests/CABITests/c/\(source)").path
        let libraryFolder = library.deletingLastPathComponent().path
        let compile = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                           [compiler] + flags + ["-Wall", "-Wextra", "-Werror", "-pedantic", "-O1",
                                            "-I", Self.include, path, "-L", libraryFolder, "-lfemtofit_c",
                                            "-Wl,-rpath,\(libraryFolder)", "-lm", "-lpthread", "-o", program.path])
        XCTAssertEqual(compile.status, 0, "\(compiler) failed on \(source):\n\(compile.stderr)")
        guard compile.status == 0 else { try? FileManager.default.removeItem(at: folder); return nil }
        return (program, folder)
    }

    func testACProgramCallsEveryEntryPointAndAgreesWithTheSwiftAPI() throws {
        guard let (program, folder) = try buildProgram("abi_test.c", compiler: "cc", flags: ["-std=c99"]) else { return }
        defer { try? FileManager.default.removeItem(at: folder) }
        let seed = freshSeed(0xCAB1)
        let run = try ChildProcess.run(program, [String(seed), folder.path], environment: ["FEMTOFIT_BACKEND": "cpu"])
        XCTAssertEqual(run.status, 0, "abi_test (seed \(seed)) failed:\n\(run.stderr)\(run.stdout)")
        XCTAssertTrue(run.stdout.contains("checks passed"), run.stdout)
        guard run.status == 0 else { return }

        try checkEllipticAgreement(folder, seed: seed)
        try checkGpufitAgreement(folder, seed: seed)
    }

    /// A Gpufit-style C++ program (Tests/CABITests/c/gpufit_program.cpp) compiles against
    /// gpufit.h unchanged (`REAL`, `std::size_t`, every enum name, value and signature of Gpufit's
    /// published API) and finds Gpufit's behaviour on the calls Gpufit accepts: tolerance 0,
    /// max_n_iterations 0, every parameter held, no fits, Gpufit's error texts and versions.
    func testAGpufitProgramCompilesAgainstTheHeaderAndSeesGpufitsBehaviour() throws {
        guard let (program, folder) = try buildProgram("gpufit_program.cpp", compiler: "c++", flags: ["-std=c++11"]) else { return }
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try ChildProcess.run(program, [], environment: ["FEMTOFIT_BACKEND": "cpu"])
        XCTAssertEqual(run.status, 0, "gpufit_program failed:\n\(run.stderr)\(run.stdout)")
        XCTAssertTrue(run.stdout.contains("checks passed"), run.stdout)

        // A build for Gpufit's double precision is refused at compile time, not miscompiled.
        let source = Self.packageRoot.appendingPathComponent("Tests/CABITests/c/gpufit_program.cpp").path
        let double = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["c++", "-std=c++11", "-DGPUFIT_DOUBLE", "-fsyntax-only", "-I", Self.include, source])
        XCTAssertNotEqual(double.status, 0)
        XCTAssertTrue(double.stderr.contains("REAL = float"), double.stderr)
    }

    /// femtofit_fit on 7x5 ROIs (float32, bounds, unweighted errors) against FitEngine on the CPU.
    func checkEllipticAgreement(_ folder: URL, seed: UInt64) throws {
        let data: [Float] = try read(folder, "elliptic_data.f32")
        let start: [Double] = try read(folder, "elliptic_start.f64")
        let fits = start.count / 6
        let batch = FitBatch(model: .gauss2DElliptic, fitCount: fits, pointCount: 35, data: data,
                             coordinates: .grid(width: 7, height: 5), initialParameters: start,
                             lowerBounds: try read(folder, "elliptic_lower.f64"), upperBounds: try read(folder, "elliptic_upper.f64"))
        let swift = try FitEngine(choice: .cpu, precision: .single)
            .fit(batch, settings: FitSettings(weightsAreInverseVariances: false))
        let parameters: [Double] = try read(folder, "elliptic_parameters.f64")
        let errors: [Double] = try read(folder, "elliptic_errors.f64")
        let states: [Int32] = try read(folder, "elliptic_states.i32")
        let chi: [Double] = try read(folder, "elliptic_chi.f64")
        let iterations: [Int32] = try read(folder, "elliptic_iterations.i32")
        XCTAssertEqual(states, swift.stateCodes, "seed \(seed)")
        XCTAssertEqual(iterations, swift.iterations, "seed \(seed)")
        assertSame(parameters, swift.parameters, "parameters, seed \(seed)")
        assertSame(errors, swift.standardErrors, "standard errors, seed \(seed)")
        assertSame(chi, swift.chiSquares, "chi^2, seed \(seed)")
    }

    /// gpufit (GAUSS_2D, MLE, 9x9) against FitEngine with Gpufit's convergence rule.
    func checkGpufitAgreement(_ folder: URL, seed: UInt64) throws {
        let data: [Float] = try read(folder, "gauss2d_data.f32")
        let start: [Float] = try read(folder, "gauss2d_start.f32")
        let fits = start.count / 5
        let batch = FitBatch(model: .gauss2D, fitCount: fits, pointCount: 81, data: data,
                             coordinates: .grid(width: 9, height: 9), initialParameters: start.map(Double.init))
        let swift = try FitEngine(choice: .cpu, precision: .single)
            .fit(batch, settings: FitSettings(estimator: .poissonMLE, convergence: .gpufit))
        let parameters: [Float] = try read(folder, "gauss2d_parameters.f32")
        let states: [Int32] = try read(folder, "gauss2d_states.i32")
        let iterations: [Int32] = try read(folder, "gauss2d_iterations.i32")
        let chi: [Float] = try read(folder, "gauss2d_chi.f32")
        XCTAssertEqual(states, swift.stateCodes.map { $0 == FitState.invalidInput.rawValue ? 2 : $0 }, "seed \(seed)")
        XCTAssertEqual(iterations, swift.iterations, "seed \(seed)")
        assertSame(parameters.map(Double.init), swift.parameters.map { Double(Float($0)) }, "gpufit parameters, seed \(seed)")
        assertSame(chi.map(Double.init), swift.chiSquares.map { Double(Float($0)) }, "gpufit chi^2, seed \(seed)")
    }

    /// The same numbers, NaN where the other is NaN. Same backend, same batch: no tolerance beyond
    /// the last bit.
    func assertSame(_ a: [Double], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var mismatches = 0
        for (k, (x, y)) in zip(a, b).enumerated() where !(x == y || (x.isNaN && y.isNaN) || abs(x - y) <= 1e-12 * max(abs(x), abs(y))) {
            mismatches += 1
            if mismatches <= 3 { XCTFail("\(what): value \(k) is \(x) from C, \(y) from Swift", file: file, line: line) }
        }
    }

    func read<T>(_ folder: URL, _ name: String) throws -> [T] {
        let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
        return bytes.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }
}
