/// The device's float32 FMA peak in GFLOP/s, measured with `Kernels/peak_fma.cl` and timed with
/// OpenCL events, so `femtofit bench` can give every device's throughput as a fraction of what it
/// can do, GPUs included, without a table of vendors' figures.
public enum OpenCLPeak {
    /// Best of `repeats` launches of about `targetSeconds` each (the first sizes the rest).
    public static func measure(_ context: OpenCLContext, targetSeconds: Double = 0.05, repeats: Int = 3) throws(OpenCLError) -> Double {
        guard let source = KernelSource.embedded("peak_fma.cl") else { throw OpenCLError.unsupported("a peak kernel missing from the binary") }
        let program = try context.program(source, options: OpenCLContext.buildOptions)
        // Enough work-items to fill every compute unit many times over.
        let workItems = max(context.device.computeUnits, 1) * (context.device.kind == .gpu ? 4096 : 256)
        func run(passes: Int) throws(OpenCLError) -> Double {
            let count = withUnsafeBytes(of: Int32(passes)) { Array($0) }, seed = withUnsafeBytes(of: Float(1)) { Array($0) }
            return try context.run(program, kernel: "ff_peak_fma", workItems: workItems, outputBytes: workItems * 4,
                                   arguments: [(1, count), (2, seed)]).seconds
        }
        var passes = 1000
        let trial = try run(passes: passes)  // also the warm-up
        passes = max(100, min(10_000_000, Int(Double(passes) * targetSeconds / max(trial, 1e-6))))
        var best = 0.0
        for _ in 0..<repeats {
            let seconds = try run(passes: passes)
            if seconds > 0 { best = max(best, Double(workItems) * Double(passes) * 128 / seconds / 1e9) }
        }
        return best
    }
}
