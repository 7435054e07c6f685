import COpenCL

/// What went wrong with OpenCL, in words a user can act on.
public enum OpenCLError: Error, Equatable, CustomStringConvertible, Sendable {
    case noLibrary(tried: [String])
    case missingSymbol(String, library: String)
    case noPlatform
    case noDevice(String)
    case call(String, status: Int32)
    case build(log: String, options: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .noLibrary(tried):
            return "no OpenCL library found (tried \(tried.joined(separator: ", "))); install an OpenCL driver "
                + "(Debian: apt-get install ocl-icd-libopencl1 pocl-opencl-icd) or use --backend cpu"
        case let .missingSymbol(name, library):
            return "the OpenCL library \(library) lacks \(name); it is not an OpenCL 1.2 ICD loader"
        case .noPlatform:
            return "OpenCL is installed but reports no platform; install a driver (Debian: pocl-opencl-icd) or use --backend cpu"
        case let .noDevice(what):
            return "no OpenCL device matches \(what); run `femtofit devices` to list them"
        case let .call(name, status):
            return "\(name) failed: \(Self.name(of: status)) (\(status))"
        case let .build(log, options):
            return "the OpenCL kernels failed to build (options: \(options)); compiler log:\n\(log)"
        case let .unsupported(what):
            return "the OpenCL backend does not support \(what); use --backend cpu"
        }
    }

    /// The OpenCL name of a status code.
    public static func name(of status: Int32) -> String {
        switch status {
        case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND"
        case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE"
        case CL_COMPILER_NOT_AVAILABLE: return "CL_COMPILER_NOT_AVAILABLE"
        case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE"
        case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES"
        case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY"
        case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE"
        case CL_INVALID_VALUE: return "CL_INVALID_VALUE"
        case CL_INVALID_PLATFORM: return "CL_INVALID_PLATFORM"
        case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE"
        case CL_INVALID_CONTEXT: return "CL_INVALID_CONTEXT"
        case CL_INVALID_COMMAND_QUEUE: return "CL_INVALID_COMMAND_QUEUE"
        case CL_INVALID_MEM_OBJECT: return "CL_INVALID_MEM_OBJECT"
        case CL_INVALID_BINARY: return "CL_INVALID_BINARY"
        case CL_INVALID_BUILD_OPTIONS: return "CL_INVALID_BUILD_OPTIONS"
        case CL_INVALID_PROGRAM: return "CL_INVALID_PROGRAM"
        case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME"
        case CL_INVALID_KERNEL: return "CL_INVALID_KERNEL"
        case CL_INVALID_ARG_INDEX: return "CL_INVALID_ARG_INDEX"
        case CL_INVALID_ARG_VALUE: return "CL_INVALID_ARG_VALUE"
        case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE"
        case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS"
        case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE"
        case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE"
        case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE"
        case -1001: return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform installed)"
        default: return "OpenCL error"
        }
    }
}
