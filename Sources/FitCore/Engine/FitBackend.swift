/// A way to solve prepared fits. Every backend writes ROI-local results; `FitEngine` prepares
/// the batch before and finishes the results after, so all backends report alike.
///
/// The protocol lives in FitCore so that code above the engine (the pipeline, acquisition) takes
/// a backend without importing, or waiting in the build for, every backend; the concrete ones
/// (`CPUBackend`, `OpenCLBackend`, `AutomaticBackend`) live in module FitEngine.
public protocol FitBackend: Sendable {
    /// Short name written into outputs: `cpu`, `opencl`, `auto`, `reference`.
    var name: String { get }
    /// The device in words (CPU cores and lanes, GPU name).
    var deviceDescription: String { get }
    var precision: FitPrecision { get }
    func solve(_ prepared: PreparedFits, into results: inout FitResults) throws
    /// Independent one-thread copies of a backend that spreads each call over several CPU
    /// threads, one per thread, so that a caller can run whole blocks side by side
    /// (`FitWorkers`); nil for a backend that cannot be split so (a device, the reference).
    func singleThreadWorkers() -> [any FitBackend]?
}

extension FitBackend {
    public func singleThreadWorkers() -> [any FitBackend]? { nil }
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
