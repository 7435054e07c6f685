import Dispatch
import FitCore
import FitCPU
import FitEngine
import Foundation

/// The user's path: a whole `femtofit fit` process on raw 15x15 ROIs, from start to exit with its
/// outputs written, beside the engine alone on the same ROIs in the same run. Conditions are the
/// issue's: the input in the page cache, `--backend cpu`, the same start values as the engine's run,
/// the shape check off. Figures: the process's fits/s over the engine's (`ratio_to_engine`), the
/// overhead beyond the engine in core-nanoseconds per fit (wall seconds x threads / fits), and the
/// process's peak RSS. The memory check fits 10x more ROIs and compares peak RSS.
enum CLIFitBenchmark {
    struct Figures {
        var fits: Int
        var engineSeconds: Double
        var processSeconds: Double
        var peakRSSBytes: Int
        var overheadCoreNs: Double { (processSeconds - engineSeconds) * Double(CPUSolver.coreCount) * 1e9 / Double(fits) }
        var ratio: Double { engineSeconds / processSeconds }
    }

    /// A folder in the temporary directory holding `fits` raw 15x15 ROIs and their start values
    /// (10 000 distinct simulated spots, repeated), after a check that the disk has room.
    final class Inputs {
        let folder: String
        let rois: String
        let starts: String
        let fits: Int
        let sample: SyntheticFits

        init(fits: Int) throws {
            self.fits = fits
            let bytes = fits * (225 * 4 + 5 * 8)
            let temporary = NSTemporaryDirectory()
            let free = (try? FileManager.default.attributesOfFileSystem(forPath: temporary)[.systemFreeSize] as? Int) ?? 0
            guard free > bytes + bytes / 2 + (1 << 30) else {
                throw CLIBenchmarkError("\(temporary): \(free >> 20) MiB free; the \(fits)-fit run needs about \((bytes + bytes / 2) >> 20) MiB")
            }
            folder = temporary + "femtofit-bench-cli-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            rois = folder + "/rois.f32"
            starts = folder + "/starts.f64"
            sample = try SyntheticFits.gauss2DBenchmark(size: 15, count: 10_000, seed: 20_261_203)
            try Self.repeatTo(rois, sample.batch.data, times: fits / 10_000)
            try Self.repeatTo(starts, sample.batch.initialParameters!, times: fits / 10_000)
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        static func repeatTo<T>(_ path: String, _ values: [T], times: Int) throws {
            FileManager.default.createFile(atPath: path, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let block = values.withUnsafeBytes { Data($0) }
            for _ in 0..<times { try handle.write(contentsOf: block) }
        }
    }

    /// The engine alone on the same fits with the same start values: the whole input held in
    /// memory (as the file's pages are in the cache), fitted in batches of the size the pipeline
    /// uses, so neither side gets cache-hot data the other lacks.
    static func engineSeconds(_ inputs: Inputs) throws -> Double {
        let engine = FitEngine(backend: CPUBackend(precision: .single))
        let settings = FitSettings(tolerance: 1e-4, maxIterations: 20)
        let all = try Data(contentsOf: URL(fileURLWithPath: inputs.rois)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let starts = try Data(contentsOf: URL(fileURLWithPath: inputs.starts)).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        let batchFits = 8_388_608 / 225
        var batches: [FitBatch] = []
        for first in stride(from: 0, to: inputs.fits, by: batchFits) {
            let count = min(batchFits, inputs.fits - first)
            var batch = FitBatch(model: .gauss2D, width: 15, height: 15, data: Array(all[first * 225 ..< (first + count) * 225]))
            batch.initialParameters = Array(starts[first * 5 ..< (first + count) * 5])
            batches.append(batch)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in batches { _ = try engine.fit(batch, settings: settings) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// `femtofit fit` on the inputs, timed from spawn to exit, with its peak RSS.
    static func process(_ inputs: Inputs, csv: Bool) throws -> (seconds: Double, peakRSS: Int) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("femtofit").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw CLIBenchmarkError("\(binary) is missing; build it with `swift build -c release --product femtofit`")
        }
        let output = inputs.folder + "/out"
        let arguments = [binary, "fit", inputs.rois, "--raw-shape", "15x15", "--backend", "cpu", "--output", output,
                         "--start-values", inputs.starts, "--no-shape-check", "--csv", csv ? "on" : "off"]
        let start = DispatchTime.now().uptimeNanoseconds
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0 else { throw CLIBenchmarkError("cannot start \(binary)") }
        // Peak RSS from the child's own VmHWM, read every 5 ms while it runs (wait4's ru_maxrss
        // would report this process's peak: posix_spawn shares the parent's memory until exec).
        var status: Int32 = 0
        var peak = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
                peak = max(peak, kb * 1024)
            }
            usleep(5_000)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard status == 0 else { throw CLIBenchmarkError("femtofit fit exited with status \(status >> 8) on the benchmark's input") }
        try? FileManager.default.removeItem(atPath: output)
        return (seconds, peak)
    }

    /// The whole-process rows: best of `tries` runs each (the machines are shared and noisy).
    static func measure(fits: Int, csv: Bool, tries: Int = 2) throws -> Figures {
        let inputs = try Inputs(fits: fits)
        var best = Figures(fits: fits, engineSeconds: .infinity, processSeconds: .infinity, peakRSSBytes: 0)
        for _ in 0..<tries + 1 {
            // Interleaved, so a neighbour's burst hits both sides alike.
            best.engineSeconds = min(best.engineSeconds, try engineSeconds(inputs))
            let run = try process(inputs, csv: csv)
            best.processSeconds = min(best.processSeconds, run.seconds)
            best.peakRSSBytes = max(best.peakRSSBytes, run.peakRSS)
        }
        return best
    }

    /// Peak RSS of `femtofit fit --csv off` at `small` and `large` fits (ratio large / small).
    static func memory(small: Int, large: Int) throws -> (small: Int, large: Int) {
        let a = try process(try Inputs(fits: small), csv: false).peakRSS
        let b = try process(try Inputs(fits: large), csv: false).peakRSS
        return (a, b)
    }
}

struct CLIBenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
