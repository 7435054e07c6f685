import ArgumentParser
import FitBench
import FitCore
import FitEngine
import FitOpenCL
import Foundation
import TAMData

/// `femtofit bench`: the standard suite a lab runs on its own devices. It prints a table and
/// writes JSON that can be shared and compared; OpenCL rows time kernels and transfers apart
/// with events, and every row is a fraction of its device's peak measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the standard throughput suite on the CPU backend and an OpenCL device; print a table, write JSON.")

    @Option(help: "Backends: all (the CPU and the OpenCL device), cpu or opencl.")
    var backend = "all"
    @Option(help: "OpenCL device: an index, a type (gpu, cpu) or part of its name (default: FEMTOFIT_DEVICE, else automatic).")
    var device: String?
    @Flag(help: "A twentieth of the fits: a smoke test, too small to fill a large GPU.")
    var quick = false
    @Option(help: "Only workloads whose name contains this.")
    var filter: String?
    @Option(help: "Where to write the JSON results.")
    var json = "femtofit-bench.json"
    @Option(name: .customLong("model-file"), help: "Benchmark a model defined at run time (docs/models.md) instead of the suite, on data simulated at --truth.")
    var modelFile: String?
    @Option(help: "With --model-file: the parameter values to simulate, NAME=VALUE,... for every parameter.")
    var truth: String?
    @Option(help: "With --model-file: the ROI size of a grid model, WxH.")
    var size = "15x15"
    @Option(help: "With --model-file: the points of a curve model (x = 0, 1, 2, ...).")
    var points = 100

    func validate() throws {
        guard ["all", "cpu", "opencl"].contains(backend) else { throw ValidationError("unknown --backend '\(backend)'; choose all, cpu or opencl") }
        if modelFile != nil && truth == nil { throw ValidationError("--model-file needs --truth NAME=VALUE,...: the parameter values its data are simulated at") }
        if modelFile == nil && truth != nil { throw ValidationError("--truth is for --model-file") }
        _ = try parseSize(size, option: "--size")
        guard (2...1_000_000).contains(points) else { throw ValidationError("--points takes 2 to 1000000, not \(points)") }
    }

    /// The workload of --model-file: its model at --truth.
    func modelWorkload(_ path: String) throws -> Workload {
        let model = try ModelFile.register(path)
        let names = model.descriptor.parameterNames
        var values: [String: Double] = [:]
        for item in (truth ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
                throw ValidationError("--truth takes NAME=VALUE,... with finite numbers, not '\(item)'")
            }
            guard names.contains(parts[0]) else { throw ValidationError("--truth names '\(parts[0])', which is no parameter of \(model.descriptor.name) (\(names.joined(separator: ", ")))") }
            values[parts[0]] = value
        }
        let missing = names.filter { values[$0] == nil }
        guard missing.isEmpty else { throw ValidationError("--truth gives no value for \(missing.joined(separator: ", "))") }
        let truthValues = names.map { values[$0]! }
        let count = quick ? 5_000 : 100_000
        if model.descriptor.geometry == .grid {
            let (w, h) = try parseSize(size, option: "--size")
            return try .runtime(model, truth: truthValues, coordinates: .grid(width: w, height: h), pointCount: w * h, count: count)
        }
        return try .runtime(model, truth: truthValues, coordinates: .sharedX((0..<points).map(Double.init)), pointCount: points, count: count)
    }

    func run() throws {
        if let modelFile { return try reportingErrors(modelFile) { try bench([try modelWorkload(modelFile)]) } }
        var workloads = try BenchSuite.workloads(quick: quick)
        if let filter { workloads = workloads.filter { $0.name.contains(filter) } }
        try bench(workloads)
    }

    func bench(_ workloads: [Workload]) throws {
        guard !workloads.isEmpty else { throw ValidationError("no workload matches --filter '\(filter ?? "")'") }

        var rows: [BenchRow] = []
        print(Self.row(["device", "workload", "fits/s", "% peak", "iter", "kernel fits/s", "kernel s", "transfer s"]))
        func report(_ row: BenchRow) {
            rows.append(row)
            print(Self.row([row.device, row.workload, Self.format(row.fitsPerSecond, 0), row.fractionOfPeak.map { Self.format(100 * $0, 1) } ?? "-",
                            Self.format(row.meanIterations, 2), row.kernelFitsPerSecond.map { Self.format($0, 0) } ?? "-",
                            row.kernelSeconds.map { Self.format($0, 4) } ?? "-", row.transferSeconds.map { Self.format($0, 4) } ?? "-"]))
        }
        if backend != "opencl" {
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let peak = PeakFMA.measure(threads: threads, iterations: quick ? 10_000_000 : 20_000_000)
            let name = "SIMD CPU backend [\(threads) threads]"
            let engine = FitEngine(backend: CPUBackend(precision: .single))
            for workload in workloads {
                report(BenchRow(device: name, backend: "cpu", workload: workload, run: try BenchRunner.run(workload, engine: engine), peakGflops: peak))
            }
        }
        if backend != "cpu" {
            do {
                let opencl = try OpenCLBackend(device: device, precision: .single)
                let peak = try OpenCLPeak.measure(opencl.solver.context)
                let name = "\(opencl.device.name) [opencl, \(opencl.solver.strategy.rawValue)]"
                for workload in workloads {
                    let run = try BenchRunner.run(workload, engine: FitEngine(backend: opencl), timings: opencl.solver.timings)
                    var row = BenchRow(device: name, backend: "opencl", workload: workload, run: run, peakGflops: peak)
                    row.kernel = opencl.solver.kernels.latest
                    report(row)
                    if let kernel = row.kernel { print("    " + Self.describe(kernel)) }
                }
            } catch where backend == "all" {
                print("OpenCL: skipped (\(error))")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let date = ISO8601DateFormatter().string(from: Date())
        try AtomicFile.write(try encoder.encode(BenchReport(date: date, quick: quick, rows: rows)), to: json)
        print("% peak: of each device's float32 FMA peak measured in this run (the CPU with SIMD loops, an OpenCL device with an FMA kernel)")
        print("kernel fits/s and times: OpenCL event timing per run, kernels apart from transfers")
        print("results: \(json)")
    }

    static func row(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index < 2 ? cell.padding(toLength: index == 0 ? 46 : 30, withPad: " ", startingAt: 0)
                : String(repeating: " ", count: max(0, 14 - cell.count)) + cell
        }.joined()
    }

    /// The driver's view of a kernel, in clGetKernelWorkGroupInfo's words: a real GPU's spills
    /// show as private memory (docs/gpu-kernels.md says what to expect).
    static func describe(_ kernel: OpenCLKernelInfo) -> String {
        "\(kernel.kernelName)\(kernel.groupSize > 0 ? " (\(kernel.groupSize) work-items per fit)" : ""): "
            + "CL_KERNEL_PRIVATE_MEM_SIZE \(kernel.privateMemoryBytes) B, CL_KERNEL_LOCAL_MEM_SIZE \(kernel.localMemoryBytes) B, "
            + "CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE \(kernel.preferredWorkGroupSizeMultiple), CL_KERNEL_WORK_GROUP_SIZE \(kernel.maximumWorkGroupSize)"
    }

    static func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
