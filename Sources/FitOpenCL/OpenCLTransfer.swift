/// How a chunk's inputs reach the device and its outputs come back.
public enum OpenCLTransfer: String, Sendable, CaseIterable {
    /// Copies between pinned host staging (`CL_MEM_ALLOC_HOST_PTR`, mapped for the life of the
    /// solve) and device buffers: for discrete GPUs, where copies from pinned memory run at the
    /// bus's full speed and overlap kernels.
    case copy
    /// No copies: the kernel's buffers are allocated in host memory (`CL_MEM_ALLOC_HOST_PTR`),
    /// mapped while the host packs and unpacks them and unmapped while the kernel runs: for devices
    /// that work in host memory (CPU devices, integrated GPUs). On PoCL this removes the copies
    /// that took as long as a third of the kernel time.
    case map

    /// `.map` where the device works in host memory, else `.copy`; `FEMTOFIT_OPENCL_TRANSFER`
    /// (`copy` or `map`) overrides it, so both paths can be tested on one device.
    public static func preferred(for device: OpenCLDevice,
                                 environment: [String: String] = ProcessInfoEnvironment.current) -> OpenCLTransfer {
        if let chosen = environment["FEMTOFIT_OPENCL_TRANSFER"].flatMap(OpenCLTransfer.init(rawValue:)) { return chosen }
        return device.hostUnifiedMemory ? .map : .copy
    }
}
