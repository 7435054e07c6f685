import Dispatch
import FitCore
import FitEngine
import FitOpenCL

/// One workload timed on one engine.
public struct TimedRun: Sendable {
    /// The best wall time of one run, seconds (end to end: preparation, transfers, kernels).
    public var seconds: Double
    public var fitCount: Int
    public var meanIterations: Double
    /// Flops of one run by the workload's fixed formula (benchmarks/README.md).
    public var flops: Double
    /// Device time per run from OpenCL events (nil on the CPU backend).
    public var kernelSeconds: Double?
    public var transferSeconds: Double?
    public var bytesWritten: Int?
    public var bytesRead: Int?

    public var fitsPerSecond: Double { Double(fitCount) / seconds }
    public var gflops: Double { flops / seconds / 1e9 }
    /// Fits per second of kernel time alone: what the device sustains when transfers overlap.
    public var kernelFitsPerSecond: Double? { kernelSeconds.map { $0 > 0 ? Double(fitCount) / $0 : 0 } }
}

/// Times workloads the way a benchmark on a shared machine or a GPU must: a warm-up first (kernel
/// builds, first allocations), then several runs, each on the batch rotated by a different offset
/// so no run meets its inputs in the order the last one left in caches, keeping the best wall
/// time; OpenCL device time comes from events, kernels apart from transfers.
public enum BenchRunner {
    public static func run(_ workload: Workload, engine: FitEngine, runs: Int = 3, timings: OpenCLTimings? = nil) throws -> TimedRun {
        let batch = workload.fits.batch
        _ = try engine.fit(subset(batch, 2_000), settings: workload.settings)
        var best = Double.infinity
        var results: FitResults?
        timings?.reset()
        for run in 0..<runs {
            let input = run == 0 ? batch : rotated(batch, by: run * batch.fitCount / runs)
            let start = DispatchTime.now().uptimeNanoseconds
            results = try engine.fit(input, settings: workload.settings)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let iterations = results!.iterations.reduce(0) { $0 + Int($1) }
        var timed = TimedRun(seconds: best, fitCount: batch.fitCount, meanIterations: Double(iterations) / Double(batch.fitCount),
                             flops: Double(iterations + batch.fitCount) * Double(batch.pointCount) * workload.flopsPerPointPerPass)
        if let totals = timings?.totals {
            timed.kernelSeconds = totals.kernelSeconds / Double(runs)
            timed.transferSeconds = totals.transferSeconds / Double(runs)
            timed.bytesWritten = totals.bytesWritten / runs
            timed.bytesRead = totals.bytesRead / runs
        }
        return timed
    }

    /// The first `count` fits of `batch`.
    public static func subset(_ batch: FitBatch, _ count: Int) -> FitBatch {
        let n = min(count, batch.fitCount), m = batch.pointCount, p = batch.parameterCount
        var out = FitBatch(model: batch.model, fitCount: n, pointCount: m, data: Array(batch.data[0..<(n * m)]), coordinates: batch.coordinates)
        out.initialParameters = batch.initialParameters.map { Array($0[0..<(n * p)]) }
        out.spline = batch.spline
        return out
    }

    /// The same fits, starting from fit `offset` and wrapping around.
    public static func rotated(_ batch: FitBatch, by offset: Int) -> FitBatch {
        let m = batch.pointCount, p = batch.parameterCount, k = offset % max(batch.fitCount, 1)
        func rotate<T>(_ values: [T], _ stride: Int) -> [T] { Array(values[(k * stride)...] + values[..<(k * stride)]) }
        var out = FitBatch(model: batch.model, fitCount: batch.fitCount, pointCount: m, data: rotate(batch.data, m), coordinates: batch.coordinates)
        out.initialParameters = batch.initialParameters.map { rotate($0, p) }
        out.spline = batch.spline
        return out
    }
}
