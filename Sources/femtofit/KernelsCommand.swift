import ArgumentParser
import FitCore
import FitOpenCL
import Foundation
import TAMData

/// `femtofit kernels --write DIR`: the OpenCL source of every kernel variant the backend builds
/// (`KernelVariant.report`), one file each, and `manifest.json` that says which variant each file
/// is. For offline compilers: scripts/gpu-kernel-report compiles them for NVIDIA and AMD GPUs
/// and reports registers, spills and occupancy without a GPU (docs/gpu-kernels.md).
struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Write the OpenCL source of every kernel variant, with a manifest, for offline GPU compilers.")

    @Option(help: "The folder to write (made if missing): one .cl file per variant and manifest.json.")
    var write: String
    @Option(help: "Precisions: single, double or all.")
    var precision = "all"
    @Option(help: "Strategies: group (one work-group per fit, the GPUs'), item (one work-item per fit) or all.")
    var strategy = "all"
    @Option(help: "Only variants whose name contains this (e.g. gauss2d-lse).")
    var filter: String?
    @Option(name: .customLong("group-size"), help: "Work-items per fit requested for the group strategy (lowered as the backend lowers it).")
    var groupSize = 64
    @Option(name: .customLong("local-memory"), help: "Local memory per work-group of the device assumed, in bytes (48 KiB: NVIDIA's static limit, below AMD's 64 KiB).")
    var localMemory = 49_152
    @Option(name: .customLong("max-work-group-size"), help: "Largest work-group of the device assumed.")
    var maxWorkGroupSize = 1024

    func validate() throws {
        guard ["single", "double", "all"].contains(precision) else { throw ValidationError("unknown --precision '\(precision)'; choose single, double or all") }
        guard strategy == "all" || KernelStrategy(rawValue: strategy) != nil else { throw ValidationError("unknown --strategy '\(strategy)'; choose group, item or all") }
        guard (1...1024).contains(groupSize) else { throw ValidationError("--group-size takes 1 to 1024, not \(groupSize)") }
        guard localMemory >= 1024 else { throw ValidationError("--local-memory must be at least 1024 bytes") }
        guard maxWorkGroupSize >= 1 else { throw ValidationError("--max-work-group-size must be at least 1") }
    }

    func run() throws {
        let precisions = precision == "all" ? FitPrecision.allCases : [FitPrecision(rawValue: precision)!]
        let strategies = strategy == "all" ? KernelStrategy.allCases : [KernelStrategy(rawValue: strategy)!]
        var variants = KernelVariant.report(precisions: precisions, strategies: strategies)
        if let filter { variants = variants.filter { $0.name.contains(filter) } }
        guard !variants.isEmpty else { throw ValidationError("no kernel variant matches --filter '\(filter ?? "")'") }
        do {
            try FileManager.default.createDirectory(atPath: write, withIntermediateDirectories: true)
        } catch {
            throw OutputError(write, "cannot make the folder: \(error.localizedDescription)")
        }
        var entries: [[String: Any]] = []
        for variant in variants {
            let group = variant.groupSize(requested: groupSize, maxWorkGroupSize: maxWorkGroupSize, localMemoryBytes: UInt64(localMemory))
            let source = try variant.source(groupSize: group)
            let file = variant.name + ".cl"
            try AtomicFile.write(Data(source.text.utf8), to: write + "/" + file)
            entries.append(["file": file, "name": variant.name, "model": variant.model.name, "estimator": variant.estimator.description,
                            "weighted": variant.weighted, "precision": variant.precisionName, "strategy": variant.strategy.rawValue,
                            "roi": variant.roi, "parameters": variant.model.parameterCount, "points": variant.pointCount,
                            "group_size": group, "kernel": variant.strategy.kernelName, "defines": source.defines])
        }
        let manifest: [String: Any] = ["format": "femtofit-kernel-sources/1", "options": OpenCLContext.buildOptions, "local_memory_bytes": localMemory,
                                       "max_work_group_size": maxWorkGroupSize, "variants": entries]
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys]),
                             to: write + "/manifest.json")
        print("wrote \(variants.count) kernel sources and manifest.json to \(write)")
    }
}
