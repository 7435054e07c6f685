import FitCore
import FitOpenCL

/// The standard suite of `femtofit bench`: the engine issue's workloads plus Gpufit's usual
/// comparison (5x5 ROIs), the same on every device so labs can compare their JSON files.
public enum BenchSuite {
    /// `quick`: a twentieth of the fits (a smoke test; too few to fill a large GPU).
    public static func workloads(quick: Bool) throws -> [Workload] {
        let scale = quick ? 20 : 1
        return [
            try .gauss2D(size: 5, estimator: .leastSquares, count: 1_000_000 / scale),
            try .gauss2D(size: 15, estimator: .leastSquares, count: 400_000 / scale),
            try .gauss2D(size: 15, estimator: .poissonMLE, count: 400_000 / scale),
            try .gauss2D(size: 25, estimator: .leastSquares, count: 200_000 / scale),
            try .kinetics(count: 40_000 / scale),
        ]
    }
}

/// One row of `femtofit bench`, as it goes into the shared JSON.
public struct BenchRow: Codable, Sendable {
    public var device: String
    public var backend: String
    public var workload: String
    public var fits: Int
    public var fitsPerSecond: Double
    public var meanIterations: Double
    public var gflops: Double
    /// The device's measured float32 FMA peak, GFLOP/s, and the workload's fraction of it.
    public var peakGflops: Double?
    public var fractionOfPeak: Double?
    public var kernelSeconds: Double?
    public var transferSeconds: Double?
    public var kernelFitsPerSecond: Double?
    public var bytesToDevice: Int?
    public var bytesFromDevice: Int?
    /// OpenCL rows: the driver's figures for the kernel that ran (private memory shows spills).
    public var kernel: OpenCLKernelInfo?

    enum CodingKeys: String, CodingKey {
        case device, backend, workload, fits
        case fitsPerSecond = "fits_per_s", meanIterations = "mean_iterations", gflops
        case peakGflops = "peak_gflops", fractionOfPeak = "fraction_of_peak"
        case kernelSeconds = "kernel_s", transferSeconds = "transfer_s", kernelFitsPerSecond = "kernel_fits_per_s"
        case bytesToDevice = "bytes_to_device", bytesFromDevice = "bytes_from_device", kernel
    }

    public init(device: String, backend: String, workload: Workload, run: TimedRun, peakGflops: Double?) {
        self.device = device
        self.backend = backend
        self.workload = workload.name
        fits = run.fitCount
        fitsPerSecond = run.fitsPerSecond
        meanIterations = run.meanIterations
        gflops = run.gflops
        self.peakGflops = peakGflops
        fractionOfPeak = peakGflops.map { $0 > 0 ? run.gflops / $0 : 0 }
        kernelSeconds = run.kernelSeconds
        transferSeconds = run.transferSeconds
        kernelFitsPerSecond = run.kernelFitsPerSecond
        bytesToDevice = run.bytesWritten
        bytesFromDevice = run.bytesRead
    }
}

/// The whole JSON file: what ran where, and the rows.
public struct BenchReport: Codable, Sendable {
    public var schema = "femtofit-bench/1"
    public var femtofitVersion = FemtofitVersion.current
    public var date: String
    public var quick: Bool
    public var rows: [BenchRow]

    enum CodingKeys: String, CodingKey {
        case schema, date, quick, rows
        case femtofitVersion = "femtofit_version"
    }

    public init(date: String, quick: Bool, rows: [BenchRow]) {
        self.date = date
        self.quick = quick
        self.rows = rows
    }
}
