import COpenCL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OpenCL entry points femtofit calls, opened at run time with `dlopen` from the ICD loader,
/// never linked: a machine without any OpenCL library still runs everything on the CPU backend.
/// Every call into OpenCL goes through this table, so tests can make one fail on purpose.
///
/// The library is looked for in `FEMTOFIT_OPENCL_LIBRARY` (a path; tests set it to a missing file
/// to hide OpenCL), then under the usual names of the ICD loader.
public struct OpenCLLibrary: @unchecked Sendable {
    public typealias GetPlatformIDs = @convention(c) (cl_uint, UnsafeMutablePointer<cl_platform_id?>?, UnsafeMutablePointer<cl_uint>?) -> cl_int
    public typealias GetPlatformInfo = @convention(c) (cl_platform_id?, cl_platform_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    public typealias GetDeviceIDs = @convention(c) (cl_platform_id?, cl_device_type, cl_uint, UnsafeMutablePointer<cl_device_id?>?, UnsafeMutablePointer<cl_uint>?) -> cl_int
    public typealias GetDeviceInfo = @convention(c) (cl_device_id?, cl_device_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    public typealias CreateContext = @convention(c) (UnsafePointer<cl_context_properties>?, cl_uint, UnsafePointer<cl_device_id?>?,
                                                     (@convention(c) (UnsafePointer<CChar>?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?) -> Void)?,
                                                     UnsafeMutableRawPointer?, UnsafeMutablePointer<cl_int>?) -> cl_context?
    public typealias CreateCommandQueue = @convention(c) (cl_context?, cl_device_id?, cl_command_queue_properties, UnsafeMutablePointer<cl_int>?) -> cl_command_queue?
    public typealias CreateProgramWithSource = @convention(c) (cl_context?, cl_uint, UnsafeMutablePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?, UnsafeMutablePointer<cl_int>?) -> cl_program?
    public typealias CreateProgramWithBinary = @convention(c) (cl_context?, cl_uint, UnsafePointer<cl_device_id?>?, UnsafePointer<Int>?,
                                                               UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<cl_int>?, UnsafeMutablePointer<cl_int>?) -> cl_program?
    public typealias BuildProgram = @convention(c) (cl_program?, cl_uint, UnsafePointer<cl_device_id?>?, UnsafePointer<CChar>?,
                                                    (@convention(c) (cl_program?, UnsafeMutableRawPointer?) -> Void)?, UnsafeMutableRawPointer?) -> cl_int
    public typealias GetProgramBuildInfo = @convention(c) (cl_program?, cl_device_id?, cl_program_build_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    public typealias GetProgramInfo = @convention(c) (cl_program?, cl_program_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    public typealias CreateKernel = @convention(c) (cl_program?, UnsafePointer<CChar>?, UnsafeMutablePointer<cl_int>?) -> cl_kernel?
    public typealias GetKernelWorkGroupInfo = @convention(c) (cl_kernel?, cl_device_id?, cl_kernel_work_group_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    public typealias SetKernelArg = @convention(c) (cl_kernel?, cl_uint, Int, UnsafeRawPointer?) -> cl_int
    public typealias CreateBuffer = @convention(c) (cl_context?, cl_mem_flags, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<cl_int>?) -> cl_mem?
    public typealias EnqueueWriteBuffer = @convention(c) (cl_command_queue?, cl_mem?, cl_bool, Int, Int, UnsafeRawPointer?, cl_uint,
                                                          UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?) -> cl_int
    public typealias EnqueueReadBuffer = @convention(c) (cl_command_queue?, cl_mem?, cl_bool, Int, Int, UnsafeMutableRawPointer?, cl_uint,
                                                         UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?) -> cl_int
    public typealias EnqueueNDRangeKernel = @convention(c) (cl_command_queue?, cl_kernel?, cl_uint, UnsafePointer<Int>?, UnsafePointer<Int>?,
                                                            UnsafePointer<Int>?, cl_uint, UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?) -> cl_int
    public typealias EnqueueMapBuffer = @convention(c) (cl_command_queue?, cl_mem?, cl_bool, cl_map_flags, Int, Int, cl_uint,
                                                        UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?, UnsafeMutablePointer<cl_int>?) -> UnsafeMutableRawPointer?
    public typealias EnqueueUnmapMemObject = @convention(c) (cl_command_queue?, cl_mem?, UnsafeMutableRawPointer?, cl_uint,
                                                             UnsafePointer<cl_event?>?, UnsafeMutablePointer<cl_event?>?) -> cl_int
    public typealias Finish = @convention(c) (cl_command_queue?) -> cl_int
    public typealias GetEventProfilingInfo = @convention(c) (cl_event?, cl_profiling_info, Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    public typealias ReleaseObject = @convention(c) (OpaquePointer?) -> cl_int

    public var getPlatformIDs: GetPlatformIDs
    public var getPlatformInfo: GetPlatformInfo
    public var getDeviceIDs: GetDeviceIDs
    public var getDeviceInfo: GetDeviceInfo
    public var createContext: CreateContext
    public var createCommandQueue: CreateCommandQueue
    public var createProgramWithSource: CreateProgramWithSource
    public var createProgramWithBinary: CreateProgramWithBinary
    public var buildProgram: BuildProgram
    public var getProgramBuildInfo: GetProgramBuildInfo
    public var getProgramInfo: GetProgramInfo
    public var createKernel: CreateKernel
    public var getKernelWorkGroupInfo: GetKernelWorkGroupInfo
    public var setKernelArg: SetKernelArg
    public var createBuffer: CreateBuffer
    public var enqueueWriteBuffer: EnqueueWriteBuffer
    public var enqueueReadBuffer: EnqueueReadBuffer
    public var enqueueNDRangeKernel: EnqueueNDRangeKernel
    public var enqueueMapBuffer: EnqueueMapBuffer
    public var enqueueUnmapMemObject: EnqueueUnmapMemObject
    public var finish: Finish
    public var flush: Finish
    public var getEventProfilingInfo: GetEventProfilingInfo
    public var releaseEvent: ReleaseObject
    public var releaseMemObject: ReleaseObject
    public var releaseKernel: ReleaseObject
    public var releaseProgram: ReleaseObject
    public var releaseCommandQueue: ReleaseObject
    public var releaseContext: ReleaseObject
    /// Where the library was found.
    public let path: String

    /// The names tried, in order, when `FEMTOFIT_OPENCL_LIBRARY` is not set.
    public static let candidates = ["libOpenCL.so.1", "libOpenCL.so", "/System/Library/Frameworks/OpenCL.framework/OpenCL"]

    /// The process's OpenCL library, opened once; the error says why there is none.
    public static let shared: Result<OpenCLLibrary, OpenCLError> = {
        do throws(OpenCLError) { return .success(try OpenCLLibrary.open()) } catch { return .failure(error) }
    }()

    /// Opens the library and resolves every entry point.
    public static func open(environment: [String: String] = ProcessInfoEnvironment.current) throws(OpenCLError) -> OpenCLLibrary {
        let names = environment["FEMTOFIT_OPENCL_LIBRARY"].map { [$0] } ?? candidates
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            return try OpenCLLibrary(handle: handle, path: name)
        }
        throw OpenCLError.noLibrary(tried: names)
    }

    init(handle: UnsafeMutableRawPointer, path: String) throws(OpenCLError) {
        func symbol<T>(_ name: String, _ type: T.Type) throws(OpenCLError) -> T {
            guard let pointer = dlsym(handle, name) else { throw OpenCLError.missingSymbol(name, library: path) }
            return unsafeBitCast(pointer, to: type)
        }
        self.path = path
        getPlatformIDs = try symbol("clGetPlatformIDs", GetPlatformIDs.self)
        getPlatformInfo = try symbol("clGetPlatformInfo", GetPlatformInfo.self)
        getDeviceIDs = try symbol("clGetDeviceIDs", GetDeviceIDs.self)
        getDeviceInfo = try symbol("clGetDeviceInfo", GetDeviceInfo.self)
        createContext = try symbol("clCreateContext", CreateContext.self)
        createCommandQueue = try symbol("clCreateCommandQueue", CreateCommandQueue.self)
        createProgramWithSource = try symbol("clCreateProgramWithSource", CreateProgramWithSource.self)
        createProgramWithBinary = try symbol("clCreateProgramWithBinary", CreateProgramWithBinary.self)
        buildProgram = try symbol("clBuildProgram", BuildProgram.self)
        getProgramBuildInfo = try symbol("clGetProgramBuildInfo", GetProgramBuildInfo.self)
        getProgramInfo = try symbol("clGetProgramInfo", GetProgramInfo.self)
        createKernel = try symbol("clCreateKernel", CreateKernel.self)
        getKernelWorkGroupInfo = try symbol("clGetKernelWorkGroupInfo", GetKernelWorkGroupInfo.self)
        setKernelArg = try symbol("clSetKernelArg", SetKernelArg.self)
        createBuffer = try symbol("clCreateBuffer", CreateBuffer.self)
        enqueueWriteBuffer = try symbol("clEnqueueWriteBuffer", EnqueueWriteBuffer.self)
        enqueueReadBuffer = try symbol("clEnqueueReadBuffer", EnqueueReadBuffer.self)
        enqueueNDRangeKernel = try symbol("clEnqueueNDRangeKernel", EnqueueNDRangeKernel.self)
        enqueueMapBuffer = try symbol("clEnqueueMapBuffer", EnqueueMapBuffer.self)
        enqueueUnmapMemObject = try symbol("clEnqueueUnmapMemObject", EnqueueUnmapMemObject.self)
        finish = try symbol("clFinish", Finish.self)
        flush = try symbol("clFlush", Finish.self)
        getEventProfilingInfo = try symbol("clGetEventProfilingInfo", GetEventProfilingInfo.self)
        releaseEvent = try symbol("clReleaseEvent", ReleaseObject.self)
        releaseMemObject = try symbol("clReleaseMemObject", ReleaseObject.self)
        releaseKernel = try symbol("clReleaseKernel", ReleaseObject.self)
        releaseProgram = try symbol("clReleaseProgram", ReleaseObject.self)
        releaseCommandQueue = try symbol("clReleaseCommandQueue", ReleaseObject.self)
        releaseContext = try symbol("clReleaseContext", ReleaseObject.self)
    }

    /// The device time of a finished command from its event's profiling (queues are made with
    /// profiling on), or nil where the driver does not say.
    public func profiledSeconds(_ event: cl_event) -> Double? {
        var start: cl_ulong = 0, end: cl_ulong = 0
        guard getEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START), 8, &start, nil) == CL_SUCCESS,
              getEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END), 8, &end, nil) == CL_SUCCESS,
              end >= start else { return nil }
        return Double(end - start) / 1e9
    }

    /// Turns a status into a thrown error naming the call.
    @inline(__always)
    public static func check(_ status: cl_int, _ call: String) throws(OpenCLError) {
        if status != CL_SUCCESS { throw OpenCLError.call(call, status: status) }
    }
}

/// The process environment, read without Foundation's overhead in the hot path.
public enum ProcessInfoEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
