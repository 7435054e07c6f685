import FitCore

extension FitEngine {
    /// The SIMD CPU backend on every usable core, float32.
    public init() { self.init(backend: CPUBackend()) }

    /// `device` picks the OpenCL device (index, type or part of a name); see `BackendChoice`.
    public init(choice: BackendChoice, precision: FitPrecision = .single, threadCount: Int? = nil, device: String? = nil) throws {
        self.init(backend: try choice.makeBackend(precision: precision, threadCount: threadCount, device: device))
    }
}
