import COpenCL
import FitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A context and two queues on one device, with the programs built for it cached by source and
/// options. One per device for the process (`OpenCLContext.shared(for:)`), so a batch after the
/// first pays no build cost. Two in-order queues let one chunk's transfers overlap another's
/// kernel; both time their commands (profiling on) for `femtofit bench`.
public final class OpenCLContext: @unchecked Sendable {
    public let library: OpenCLLibrary
    public let device: OpenCLDevice
    let context: cl_context
    let queues: [cl_command_queue]
    private var programs: [String: cl_program] = [:]
    private let lock = FitLock()

    /// The options every build uses. Not `-cl-fast-relaxed-math`: it implies
    /// `-cl-finite-math-only`, under which the compiler drops the kernels' isfinite checks
    /// (singular pivots, a MLE model that is not positive) and mishandles masked NaN pixels.
    /// Unsafe math without that assumption keeps the speed (fused, reassociated arithmetic).
    public static let buildOptions = "-cl-unsafe-math-optimizations -cl-mad-enable -cl-no-signed-zeros"

    /// `diskCache`: where built programs are kept between runs (nil: only in memory).
    public init(library: OpenCLLibrary, device: OpenCLDevice, diskCache: ProgramDiskCache? = .fromEnvironment()) throws(OpenCLError) {
        self.library = library
        self.device = device
        self.diskCache = diskCache
        var status: cl_int = 0
        var id: cl_device_id? = device.handle
        guard let context = library.createContext(nil, 1, &id, nil, nil, &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateContext", status: status)
        }
        self.context = context
        var queues: [cl_command_queue] = []
        for _ in 0..<2 {
            guard let queue = library.createCommandQueue(context, device.handle, cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE), &status),
                  status == CL_SUCCESS else {
                for made in queues { _ = library.releaseCommandQueue(made) }
                _ = library.releaseContext(context)
                throw OpenCLError.call("clCreateCommandQueue", status: status)
            }
            queues.append(queue)
        }
        self.queues = queues
    }

    deinit {
        for program in programs.values { _ = library.releaseProgram(program) }
        for queue in queues { _ = library.releaseCommandQueue(queue) }
        _ = library.releaseContext(context)
    }

    nonisolated(unsafe) private static var contexts: [UInt: OpenCLContext] = [:]
    private static let contextsLock = FitLock()

    /// The process's context for `device`, made on first use.
    public static func shared(library: OpenCLLibrary, device: OpenCLDevice) throws(OpenCLError) -> OpenCLContext {
        contextsLock.lock(); defer { contextsLock.unlock() }
        if let existing = contexts[device.id] { return existing }
        let made = try OpenCLContext(library: library, device: device)
        contexts[device.id] = made
        return made
    }

    /// Where built programs are kept between runs; nil: only in memory.
    public let diskCache: ProgramDiskCache?
    /// How the last `program` call got its program: `memory`, `disk` or `source`.
    public private(set) var lastProgramOrigin = ""

    /// The program for `source`, built once per process and kept on disk between processes; a
    /// failed build throws with the compiler's log.
    public func program(_ source: String, options: String = OpenCLContext.buildOptions) throws(OpenCLError) -> cl_program {
        lock.lock(); defer { lock.unlock() }
        let key = options + "\u{0}" + source
        if let cached = programs[key] { lastProgramOrigin = "memory"; return cached }
        let file = diskCache?.file(device: device, options: options, source: source)
        if let file, let binary = diskCache?.load(file), let program = programFromBinary(binary, options: options) {
            programs[key] = program
            lastProgramOrigin = "disk"
            return program
        }
        let program = try programFromSource(source, options: options)
        if let file, let binary = binary(of: program) { diskCache?.store(binary, at: file) }
        programs[key] = program
        lastProgramOrigin = "source"
        return program
    }

    func programFromBinary(_ binary: [UInt8], options: String) -> cl_program? {
        var status: cl_int = 0, binaryStatus: cl_int = 0
        var id: cl_device_id? = device.handle
        var length = binary.count
        let made: cl_program? = binary.withUnsafeBufferPointer { bytes in
            var pointer: UnsafePointer<UInt8>? = bytes.baseAddress
            return library.createProgramWithBinary(context, 1, &id, &length, &pointer, &binaryStatus, &status)
        }
        guard let program = made else { return nil }
        guard status == CL_SUCCESS, binaryStatus == CL_SUCCESS, library.buildProgram(program, 1, &id, options, nil, nil) == CL_SUCCESS else {
            _ = library.releaseProgram(program)
            return nil
        }
        return program
    }

    /// The device binary of a built program, for the disk cache.
    func binary(of program: cl_program) -> [UInt8]? {
        var size = 0
        guard library.getProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil) == CL_SUCCESS,
              size > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBufferPointer { buffer -> cl_int in
            var pointer: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return library.getProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES), MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointer, nil)
        }
        return status == CL_SUCCESS ? bytes : nil
    }

    func programFromSource(_ source: String, options: String) throws(OpenCLError) -> cl_program {
        var status: cl_int = 0
        let made: cl_program? = source.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            var length = strlen(text)
            return library.createProgramWithSource(context, 1, &pointer, &length, &status)
        }
        guard let program = made, status == CL_SUCCESS else { throw OpenCLError.call("clCreateProgramWithSource", status: status) }
        var id: cl_device_id? = device.handle
        let built = library.buildProgram(program, 1, &id, options, nil, nil)
        if built != CL_SUCCESS {
            let log = buildLog(program)
            _ = library.releaseProgram(program)
            throw OpenCLError.build(log: log.isEmpty ? OpenCLError.name(of: built) : log, options: options)
        }
        return program
    }

    func buildLog(_ program: cl_program) -> String {
        var size = 0
        guard library.getProgramBuildInfo(program, device.handle, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
              size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        _ = library.getProgramBuildInfo(program, device.handle, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil)
        return String(cString: bytes)
    }

    /// Runs kernel `name` of `program` once over `workItems` work-items (in work-groups of
    /// `localSize`; 0: the driver chooses), with a fresh buffer of `outputBytes` as argument 0 and
    /// `arguments` (index, raw value) after it. Returns the buffer and the kernel's device time.
    /// For small utility kernels (the FMA peak, tests); fits go through `OpenCLSolver`.
    public func run(_ program: cl_program, kernel name: String, workItems: Int, localSize: Int = 0, outputBytes: Int,
                    arguments: [(index: Int, value: [UInt8])] = []) throws(OpenCLError) -> (output: [UInt8], seconds: Double) {
        var status: cl_int = 0
        guard let kernel = library.createKernel(program, name, &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateKernel (\(name))", status: status)
        }
        defer { _ = library.releaseKernel(kernel) }
        guard var buffer = library.createBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), max(outputBytes, 4), nil, &status),
              status == CL_SUCCESS else { throw OpenCLError.call("clCreateBuffer (\(outputBytes) bytes)", status: status) }
        defer { _ = library.releaseMemObject(buffer) }
        try OpenCLLibrary.check(library.setKernelArg(kernel, 0, MemoryLayout<cl_mem>.size, &buffer), "clSetKernelArg 0")
        for (index, value) in arguments {
            let set = value.withUnsafeBytes { library.setKernelArg(kernel, cl_uint(index), $0.count, $0.baseAddress) }
            try OpenCLLibrary.check(set, "clSetKernelArg \(index)")
        }
        var global = workItems, local = localSize
        var event: cl_event?
        let queue = queues[0]
        let launched = localSize > 0 ? library.enqueueNDRangeKernel(queue, kernel, 1, nil, &global, &local, 0, nil, &event)
            : library.enqueueNDRangeKernel(queue, kernel, 1, nil, &global, nil, 0, nil, &event)
        try OpenCLLibrary.check(launched, "clEnqueueNDRangeKernel (\(name))")
        defer { if let event { _ = library.releaseEvent(event) } }
        var output = [UInt8](repeating: 0, count: outputBytes)
        let read = output.withUnsafeMutableBytes {
            library.enqueueReadBuffer(queue, buffer, cl_bool(CL_TRUE), 0, $0.count, $0.baseAddress, 0, nil, nil)
        }
        try OpenCLLibrary.check(read, "clEnqueueReadBuffer (\(name))")
        return (output, event.flatMap(library.profiledSeconds) ?? 0)
    }
}
