import COpenCL

/// One chunk of fits in flight on the device: its queue, its kernel object, its device buffers
/// and the host memory they are copied from and to. The solver keeps two slots on two queues and
/// alternates them, so packing and transferring one chunk overlaps the other's kernel. Transfers
/// are asynchronous, so host memory is allocated once here and outlives them (`deinit` waits).
final class ChunkSlot {
    struct Buffer {
        let memory: cl_mem
        let host: UnsafeMutableRawPointer
        let bytesPerFit: Int
    }

    let library: OpenCLLibrary
    let queue: cl_command_queue
    let kernel: cl_kernel
    let timings: OpenCLTimings
    /// Kernel argument index → buffer; indices absent here are bound to a dummy or shared buffer.
    private(set) var buffers: [Int: Buffer] = [:]
    private var others: [cl_mem] = []
    /// The fits of the chunk now in flight (nil: idle).
    private(set) var fits: Range<Int>?
    private var events: [(cl_event, OpenCLTimings.Kind)] = []

    /// `bytesPerFit[i]`: bytes per fit of kernel argument i (0: not used, a 16-byte dummy);
    /// `outputs`: the arguments read back; `shared`: arguments bound to a buffer made elsewhere.
    init(context: OpenCLContext, program: cl_program, kernelName: String, queue: cl_command_queue, capacity: Int,
         bytesPerFit: [Int], shared: [Int: cl_mem], timings: OpenCLTimings) throws(OpenCLError) {
        library = context.library
        self.queue = queue
        self.timings = timings
        var status: cl_int = 0
        guard let kernel = library.createKernel(program, kernelName, &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateKernel", status: status)
        }
        self.kernel = kernel
        for (index, perFit) in bytesPerFit.enumerated() {
            var memory: cl_mem?
            if let given = shared[index] {
                memory = given
            } else {
                let bytes = max(perFit * capacity, 16)
                memory = library.createBuffer(context.context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
                guard let made = memory, status == CL_SUCCESS else {
                    throw OpenCLError.call("clCreateBuffer (\(bytes) bytes)", status: status)
                }
                if perFit > 0 {
                    buffers[index] = Buffer(memory: made, host: .allocate(byteCount: bytes, alignment: 64), bytesPerFit: perFit)
                } else {
                    others.append(made)
                }
            }
            try OpenCLLibrary.check(library.setKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &memory), "clSetKernelArg \(index)")
        }
    }

    deinit {
        if fits != nil { _ = library.finish(queue) }
        for (event, _) in events { _ = library.releaseEvent(event) }
        for buffer in buffers.values { _ = library.releaseMemObject(buffer.memory); buffer.host.deallocate() }
        for memory in others { _ = library.releaseMemObject(memory) }
        _ = library.releaseKernel(kernel)
    }

    /// The host memory of argument `index`, typed.
    func host<T>(_ index: Int, _ type: T.Type) -> UnsafeMutablePointer<T> {
        buffers[index]!.host.assumingMemoryBound(to: type)
    }

    func setArgument<T: BitwiseCopyable>(_ index: Int, _ value: T) throws(OpenCLError) {
        let status = withUnsafeBytes(of: value) { library.setKernelArg(kernel, cl_uint(index), $0.count, $0.baseAddress) }
        try OpenCLLibrary.check(status, "clSetKernelArg \(index)")
    }

    /// Enqueues, without waiting: the writes of `inputs`, the kernel, and the reads of `outputs`.
    /// The host memory of the inputs must already hold the chunk. `groupSize` > 0: one work-group
    /// of that size per fit; else one work-item per fit, in groups of `localSize` (0: the
    /// driver chooses).
    func launch(fits: Range<Int>, inputs: [Int], outputs: [Int], localSize: Int, groupSize: Int) throws(OpenCLError) {
        let count = fits.count
        self.fits = fits  // from here on, deinit must wait for the queue
        for index in inputs {
            guard let buffer = buffers[index] else { continue }
            var event: cl_event?
            let bytes = buffer.bytesPerFit * count
            try OpenCLLibrary.check(library.enqueueWriteBuffer(queue, buffer.memory, cl_bool(CL_FALSE), 0, bytes, buffer.host, 0, nil, &event),
                                    "clEnqueueWriteBuffer")
            if let event { events.append((event, .write(bytes: bytes))) }
        }
        try setArgument(13, Int32(count))
        var local = groupSize > 0 ? groupSize : localSize
        var global = groupSize > 0 ? count * groupSize : local > 0 ? (count + local - 1) / local * local : count
        var event: cl_event?
        let launched = local > 0 ? library.enqueueNDRangeKernel(queue, kernel, 1, nil, &global, &local, 0, nil, &event)
            : library.enqueueNDRangeKernel(queue, kernel, 1, nil, &global, nil, 0, nil, &event)
        try OpenCLLibrary.check(launched, "clEnqueueNDRangeKernel (\(count) fits)")
        if let event { events.append((event, .kernel)) }
        for index in outputs {
            guard let buffer = buffers[index] else { continue }
            let bytes = buffer.bytesPerFit * count
            try OpenCLLibrary.check(library.enqueueReadBuffer(queue, buffer.memory, cl_bool(CL_FALSE), 0, bytes, buffer.host, 0, nil, &event),
                                    "clEnqueueReadBuffer")
            if let event { events.append((event, .read(bytes: bytes))) }
        }
        try OpenCLLibrary.check(library.flush(queue), "clFlush")
    }

    /// Waits for the chunk in flight; returns its fits, whose outputs are then in host memory.
    func wait() throws(OpenCLError) -> Range<Int>? {
        guard let done = fits else { return nil }
        let status = library.finish(queue)
        fits = nil
        try OpenCLLibrary.check(status, "clFinish (\(done.count) fits)")
        timings.record(events, library: library)
        events = []
        return done
    }
}
