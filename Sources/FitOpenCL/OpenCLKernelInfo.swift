import COpenCL
import FitCore

/// The driver's own view of a kernel it built (`clGetKernelWorkGroupInfo`): on a real GPU, a
/// kernel that spills or keeps a stack shows it in its private memory, whatever the offline
/// compilers of scripts/gpu-kernel-report predicted. `femtofit bench` prints it and keeps it in
/// its JSON.
public struct OpenCLKernelInfo: Codable, Sendable, Equatable {
    public var kernelName: String
    /// `group` or `item` (`KernelStrategy`), and the work-items per fit of `group`.
    public var strategy: String
    public var groupSize: Int
    /// CL_KERNEL_PRIVATE_MEM_SIZE: private memory per work-item beyond registers (spills, stack).
    public var privateMemoryBytes: UInt64
    /// CL_KERNEL_LOCAL_MEM_SIZE: local memory per work-group (the partial sums and LM state).
    public var localMemoryBytes: UInt64
    /// CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE: the device's SIMD width for this kernel.
    public var preferredWorkGroupSizeMultiple: Int
    /// CL_KERNEL_WORK_GROUP_SIZE: the largest work-group this kernel can run with.
    public var maximumWorkGroupSize: Int

    enum CodingKeys: String, CodingKey {
        case kernelName = "kernel", strategy, groupSize = "group_size"
        case privateMemoryBytes = "private_mem_size", localMemoryBytes = "local_mem_size"
        case preferredWorkGroupSizeMultiple = "preferred_work_group_size_multiple", maximumWorkGroupSize = "work_group_size"
    }

    public init(kernelName: String, strategy: String, groupSize: Int, privateMemoryBytes: UInt64, localMemoryBytes: UInt64,
                preferredWorkGroupSizeMultiple: Int, maximumWorkGroupSize: Int) {
        self.kernelName = kernelName; self.strategy = strategy; self.groupSize = groupSize
        self.privateMemoryBytes = privateMemoryBytes; self.localMemoryBytes = localMemoryBytes
        self.preferredWorkGroupSizeMultiple = preferredWorkGroupSizeMultiple; self.maximumWorkGroupSize = maximumWorkGroupSize
    }

    /// `kernel`'s figures on `context`'s device.
    static func query(_ kernel: cl_kernel, name: String, strategy: KernelStrategy, groupSize: Int,
                      context: OpenCLContext) throws(OpenCLError) -> OpenCLKernelInfo {
        let library = context.library
        func value<T: FixedWidthInteger>(_ parameter: Int32, _ type: T.Type) throws(OpenCLError) -> T {
            var result: T = 0
            let status = withUnsafeMutableBytes(of: &result) {
                library.getKernelWorkGroupInfo(kernel, context.device.handle, cl_kernel_work_group_info(parameter), $0.count, $0.baseAddress, nil)
            }
            try OpenCLLibrary.check(status, "clGetKernelWorkGroupInfo")
            return result
        }
        return OpenCLKernelInfo(kernelName: name, strategy: strategy.rawValue, groupSize: strategy == .perGroup ? groupSize : 0,
                                privateMemoryBytes: try value(CL_KERNEL_PRIVATE_MEM_SIZE, cl_ulong.self),
                                localMemoryBytes: try value(CL_KERNEL_LOCAL_MEM_SIZE, cl_ulong.self),
                                preferredWorkGroupSizeMultiple: Int(try value(CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE, Int.self)),
                                maximumWorkGroupSize: Int(try value(CL_KERNEL_WORK_GROUP_SIZE, Int.self)))
    }
}

/// The figures of the kernel a solver last built a slot for (shared by the solver's copies).
public final class OpenCLKernelLog: @unchecked Sendable {
    private var kept: OpenCLKernelInfo?
    private let lock = FitLock()

    public init() {}

    /// The kernel of the latest solve that made a new slot; nil before any.
    public var latest: OpenCLKernelInfo? { lock.lock(); defer { lock.unlock() }; return kept }

    func record(_ info: OpenCLKernelInfo) { lock.lock(); kept = info; lock.unlock() }
}
