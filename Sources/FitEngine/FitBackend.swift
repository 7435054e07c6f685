import FitCore
import FitCPU

/// A way to solve prepared fits. Every backend writes ROI-local results; `FitEngine` prepares
/// the batch before and finishes the results after, so all backends report alike.
public protocol FitBackend: Sendable {
    /// Short name written into outputs: `cpu`, `reference`, later `opencl`.
    var name: String { get }
    /// The device in words (CPU cores and lanes, GPU name).
    var deviceDescription: String { get }
    var precision: FitPrecision { get }
    func solve(_ prepared: PreparedFits, into results: inout FitResults) throws
}

/// The SIMD CPU backend, multi-threaded.
public struct CPUBackend: FitBackend {
    public let solver: CPUSolver
    public init(precision: FitPrecision = .single, threadCount: Int? = nil) {
        solver = CPUSolver(precision: precision, threadCount: threadCount)
    }
    public var name: String { "cpu" }
    public var precision: FitPrecision { solver.precision }
    public var deviceDescription: String {
        "\(solver.threadCount) CPU threads, \(solver.laneCount) \(precision == .single ? "float32" : "float64") lanes per SIMD group"
    }
    public func solve(_ prepared: PreparedFits, into results: inout FitResults) throws {
        solver.solve(prepared, into: &results)
    }
}

/// The float64 scalar reference, one thread: the yardstick, not for production runs.
public struct ReferenceBackend: FitBackend {
    public init() {}
    public var name: String { "reference" }
    public var precision: FitPrecision { .double }
    public var deviceDescription: String { "one CPU thread, scalar float64" }
    public func solve(_ prepared: PreparedFits, into results: inout FitResults) throws {
        ReferenceSolver.solve(prepared, into: &results)
    }
}

/// Which backend to use; `auto` picks the fastest one available (an OpenCL GPU, else the CPU).
public enum BackendChoice: String, CaseIterable, Sendable {
    case auto, cpu, opencl, reference

    /// `device` selects the OpenCL device (index, type or part of a name; nil: `FEMTOFIT_DEVICE`
    /// or automatic). `opencl` throws a clear error where OpenCL cannot be used.
    public func makeBackend(precision: FitPrecision, threadCount: Int? = nil, device: String? = nil) throws -> any FitBackend {
        switch self {
        case .auto: return AutomaticBackend(precision: precision, threadCount: threadCount)
        case .cpu: return CPUBackend(precision: precision, threadCount: threadCount)
        case .opencl: return try OpenCLBackend(device: device, precision: precision)
        case .reference: return ReferenceBackend()
        }
    }
}
