import FitCore
import FitCPU

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
    /// One single-thread copy per thread when this backend uses several.
    public func singleThreadWorkers() -> [any FitBackend]? {
        guard solver.threadCount > 1 else { return nil }
        return Array(repeating: CPUBackend(precision: precision, threadCount: 1), count: solver.threadCount)
    }
}
