import FitCore
import FitEngine
import FitOpenCL
import Foundation
import XCTest
import FemtofitTestSupport

/// Every kernel under Oclgrind, the OpenCL device simulator: out-of-bounds accesses,
/// uninitialised values, data races, barrier divergence and API misuse, which PoCL does not
/// check, must report nothing. Oclgrind is opened as the OpenCL library itself (its runtime), so
/// no ICD setup is needed. Oclgrind 21.10 rejects LLVM's `freeze` in optimised kernels, so the
/// kernels are built with `-cl-opt-disable` here.
final class OclgrindTests: XCTestCase {
    static let runtime = "/usr/lib/oclgrind/liboclgrind-rt.so"

    func testEveryPerItemKernelIsCleanUnderOclgrind() throws { try checkEveryKernel(.perItem, fits: 24) }

    /// The harness itself: a kernel with a local-memory race must fill the log, or a clean log
    /// proves nothing.
    func testOclgrindReportsARace() throws {
        guard FileManager.default.fileExists(atPath: Self.runtime) else {
            return XCTFail("Oclgrind is not installed (\(Self.runtime)); scripts/test installs it (Debian package oclgrind)")
        }
        let (library, device, log) = try simulator()
        defer { try? FileManager.default.removeItem(atPath: log) }
        let context = try OpenCLContext(library: library, device: device, diskCache: nil)
        let program = try context.program("""
            __kernel void racy(__global int* out) {
                __local int shared;
                shared = (int)get_local_id(0);  // every work-item writes, none waits
                out[get_global_id(0)] = shared;
            }
            """, options: "-cl-opt-disable")
        _ = try context.run(program, kernel: "racy", workItems: 8, localSize: 8, outputBytes: 8 * 4)
        let report = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertTrue(report.lowercased().contains("race"), "Oclgrind did not report the race; log: \(report)")
    }

    /// Oclgrind's runtime as the OpenCL library, its device, and a fresh log file. Oclgrind reads
    /// its settings when a context is made, so each check makes its own context (never the
    /// process's shared one, which would log to an earlier check's file).
    func simulator() throws -> (OpenCLLibrary, OpenCLDevice, String) {
        let log = NSTemporaryDirectory() + "femtofit-oclgrind-\(UUID().uuidString).log"
        setenv("OCLGRIND_LOG", log, 1)
        setenv("OCLGRIND_CHECK_API", "1", 1)
        setenv("OCLGRIND_DATA_RACES", "1", 1)
        setenv("OCLGRIND_UNINITIALIZED", "1", 1)
        setenv("OCLGRIND_UNIFORM_WRITES", "1", 1)
        let library = try OpenCLLibrary.open(environment: ["FEMTOFIT_OPENCL_LIBRARY": Self.runtime])
        let devices = try OpenCLDevice.all(library)
        XCTAssertTrue(devices.contains { $0.name.lowercased().contains("oclgrind") }, "\(devices.map(\.name))")
        return (library, devices[0], log)
    }

    /// The GPU-style kernel: barriers, local-memory reductions; a race here is the bug a real GPU
    /// would show and PoCL would not.
    func testEveryPerGroupKernelIsCleanUnderOclgrind() throws { try checkEveryKernel(.perGroup, fits: 12) }

    /// Every model with both estimators in float32, and every model in float64 with weights (the
    /// estimators alternating; least squares with robust errors), on `fits` fits in chunks of 16
    /// or fewer.
    func checkEveryKernel(_ strategy: KernelStrategy, fits count: Int) throws {
        guard FileManager.default.fileExists(atPath: Self.runtime) else {
            return XCTFail("Oclgrind is not installed (\(Self.runtime)); scripts/test installs it (Debian package oclgrind)")
        }
        let (library, device, log) = try simulator()
        defer { try? FileManager.default.removeItem(atPath: log) }
        let context = try OpenCLContext(library: library, device: device, diskCache: nil)
        let models = ModelID.allCases.filter(KernelSource.supports)
        var checked = 0
        for precision in [FitPrecision.single, .double] {
            var solver = try OpenCLSolver(context: context, precision: precision, maximumChunk: 16)
            solver.buildOptions += " -cl-opt-disable"
            solver.strategy = strategy
            let backend = OpenCLBackend(solver: solver)
            for (index, model) in models.enumerated() {
                let estimators = precision == .single ? [Estimator.leastSquares, .poissonMLE] : [index % 2 == 0 ? .leastSquares : .poissonMLE]
                for estimator in estimators {
                    var fits = try randomFits(model, estimator: estimator, count: count, seed: freshSeed(UInt64(model.rawValue)))
                    if precision == .double { fits.batch.weights = [Float](repeating: 1, count: fits.batch.data.count) }
                    // float64 least squares also runs the robust errors' extra pass.
                    let settings = FitSettings(maxIterations: 5, estimator: estimator,
                                               robustErrors: precision == .double && estimator == .leastSquares)
                    let results = try FitEngine(backend: backend).fit(fits.batch, settings: settings)
                    XCTAssertTrue(results.stateCodes.allSatisfy { $0 != FitState.unwrittenRawValue }, "\(strategy) \(model.name) \(estimator)")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 3 * models.count)
        let report = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertTrue(report.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "Oclgrind reported (\(strategy)):\n\(report.prefix(4000))")
    }
}
