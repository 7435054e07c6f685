import FitCore

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
