import COpenCL

/// One chunk of fits in flight on the device: its queue, its kernel object, its device buffers
/// and the host memory the solver packs inputs into and unpacks outputs from. The solver keeps
/// two slots on two queues and alternates them, so packing one chunk overlaps the other's kernel.
///
/// A chunk goes `beginPacking` (host memory of the inputs ready) → pack → `launch` (inputs to
/// the device, kernel, outputs back, all enqueued) → `wait` → unpack → `endUnpacking`. How the
/// bytes move is the slot's `transfer`: copies from and to pinned staging, or no copy at all,
/// mapping the kernel's own buffers (`OpenCLTransfer`). `deinit` waits for the queue.
final class ChunkSlot {
    struct Buffer {
        /// The kernel's argument.
        let memory: cl_mem
        /// `.copy`: the pinned staging buffer, mapped at `host` for the slot's life.
        let staging: cl_mem?
        /// Where the host packs and unpacks: the staging mapping (`.copy`), or the kernel
        /// buffer's current mapping (`.map`; nil while unmapped).
        var host: UnsafeMutableRawPointer?
        let bytesPerFit: Int
    }

    let library: OpenCLLibrary
    let queue: cl_command_queue
    let kernel: cl_kernel
    let transfer: OpenCLTransfer
    let timings: OpenCLTimings
    /// Kernel argument index → buffer; indices absent here are bound to a dummy or shared buffer.
    private var buffers: [Int: Buffer] = [:]
    private var others: [cl_mem] = []
    /// The fits of the chunk now in flight (nil: idle).
    private(set) var fits: Range<Int>?
    private var events: [(cl_event, OpenCLTimings.Kind)] = []

    /// `bytesPerFit[i]`: bytes per fit of kernel argument i (0: not used, a 16-byte dummy);
    /// `shared`: arguments bound to a buffer made elsewhere.
    init(context: OpenCLContext, program: cl_program, kernelName: String, queue: cl_command_queue, capacity: Int,
         bytesPerFit: [Int], shared: [Int: cl_mem], transfer: OpenCLTransfer, timings: OpenCLTimings) throws(OpenCLError) {
        library = context.library
        self.queue = queue
        self.transfer = transfer
        self.timings = timings
        var status: cl_int = 0
        guard let kernel = library.createKernel(program, kernelName, &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateKernel", status: status)
        }
        self.kernel = kernel
        let hostMemory = cl_mem_flags(CL_MEM_READ_WRITE) | cl_mem_flags(CL_MEM_ALLOC_HOST_PTR)
        func buffer(_ bytes: Int, _ flags: cl_mem_flags) throws(OpenCLError) -> cl_mem {
            guard let made = library.createBuffer(context.context, flags, bytes, nil, &status), status == CL_SUCCESS else {
                throw OpenCLError.call("clCreateBuffer (\(bytes) bytes)", status: status)
            }
            return made
        }
        for (index, perFit) in bytesPerFit.enumerated() {
            var memory: cl_mem?
            if let given = shared[index] {
                memory = given
            } else if perFit == 0 {
                let made = try buffer(16, cl_mem_flags(CL_MEM_READ_WRITE))
                others.append(made)
                memory = made
            } else {
                let bytes = perFit * capacity
                switch transfer {
                case .map:
                    let made = try buffer(bytes, hostMemory)
                    buffers[index] = Buffer(memory: made, staging: nil, host: nil, bytesPerFit: perFit)
                    memory = made
                case .copy:
                    let made = try buffer(bytes, cl_mem_flags(CL_MEM_READ_WRITE))
                    buffers[index] = Buffer(memory: made, staging: nil, host: nil, bytesPerFit: perFit)
                    memory = made
                    let staging = try buffer(bytes, hostMemory)
                    let mapped = library.enqueueMapBuffer(queue, staging, cl_bool(CL_TRUE), cl_map_flags(CL_MAP_READ) | cl_map_flags(CL_MAP_WRITE),
                                                          0, bytes, 0, nil, nil, &status)
                    buffers[index] = Buffer(memory: made, staging: staging, host: mapped, bytesPerFit: perFit)
                    guard mapped != nil, status == CL_SUCCESS else { throw OpenCLError.call("clEnqueueMapBuffer (staging, \(bytes) bytes)", status: status) }
                }
            }
            try OpenCLLibrary.check(library.setKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &memory), "clSetKernelArg \(index)")
        }
    }

    deinit {
        for buffer in buffers.values {
            if let host = buffer.host { _ = library.enqueueUnmapMemObject(queue, buffer.staging ?? buffer.memory, host, 0, nil, nil) }
        }
        _ = library.finish(queue)
        for (event, _) in events { _ = library.releaseEvent(event) }
        for buffer in buffers.values {
            _ = library.releaseMemObject(buffer.memory)
            if let staging = buffer.staging { _ = library.releaseMemObject(staging) }
        }
        for memory in others { _ = library.releaseMemObject(memory) }
        _ = library.releaseKernel(kernel)
    }

    /// The host memory of argument `index`, typed: between `beginPacking` and `launch` for an
    /// input, between `wait` and `endUnpacking` for an output.
    func host<T>(_ index: Int, _ type: T.Type) -> UnsafeMutablePointer<T> {
        guard let host = buffers[index]?.host else { preconditionFailure("argument \(index) is not mapped") }
        return host.assumingMemoryBound(to: type)
    }

    /// Binds argument `index` to a buffer made elsewhere (the shared x values of this solve).
    func bind(_ index: Int, _ memory: cl_mem) throws(OpenCLError) {
        var memory: cl_mem? = memory
        try OpenCLLibrary.check(library.setKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &memory), "clSetKernelArg \(index)")
    }

    func setArgument<T: BitwiseCopyable>(_ index: Int, _ value: T) throws(OpenCLError) {
        let status = withUnsafeBytes(of: value) { library.setKernelArg(kernel, cl_uint(index), $0.count, $0.baseAddress) }
        try OpenCLLibrary.check(status, "clSetKernelArg \(index)")
    }

    /// Makes the host memory of `inputs` ready for `count` fits (`.map`: maps them for writing,
    /// discarding what they held).
    func beginPacking(count: Int, inputs: [Int]) throws(OpenCLError) {
        guard transfer == .map else { return }
        for index in inputs {
            guard let buffer = buffers[index] else { continue }
            buffers[index]!.host = try map(buffer, bytes: buffer.bytesPerFit * count, flags: cl_map_flags(CL_MAP_WRITE_INVALIDATE_REGION),
                                           blocking: true, kind: .write(bytes: 0))
        }
    }

    /// Enqueues, without waiting: the inputs to the device, the kernel, and the outputs back.
    /// The host memory of the inputs must already hold the chunk. `groupSize` > 0: one work-group
    /// of that size per fit; else one work-item per fit, in groups of `localSize` (0: the
    /// driver chooses).
    func launch(fits: Range<Int>, inputs: [Int], outputs: [Int], localSize: Int, groupSize: Int) throws(OpenCLError) {
        let count = fits.count
        self.fits = fits  // from here on, wait() must run before the host memory is touched
        for index in inputs {
            guard let buffer = buffers[index] else { continue }
            var event: cl_event?
            let bytes = buffer.bytesPerFit * count
            switch transfer {
            case .copy:
                try OpenCLLibrary.check(library.enqueueWriteBuffer(queue, buffer.memory, cl_bool(CL_FALSE), 0, bytes, buffer.host, 0, nil, &event),
                                        "clEnqueueWriteBuffer")
            case .map:
                try unmap(index, event: &event)
            }
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
            switch transfer {
            case .copy:
                var event: cl_event?
                try OpenCLLibrary.check(library.enqueueReadBuffer(queue, buffer.memory, cl_bool(CL_FALSE), 0, bytes, buffer.host, 0, nil, &event),
                                        "clEnqueueReadBuffer")
                if let event { events.append((event, .read(bytes: bytes))) }
            case .map:
                buffers[index]!.host = try map(buffer, bytes: bytes, flags: cl_map_flags(CL_MAP_READ), blocking: false, kind: .read(bytes: bytes))
            }
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

    /// Gives the outputs' memory back to the device after unpacking (`.map`: unmaps them).
    func endUnpacking(outputs: [Int]) throws(OpenCLError) {
        guard transfer == .map else { return }
        for index in outputs where buffers[index]?.host != nil {
            var event: cl_event?
            try unmap(index, event: &event)
            if let event { _ = library.releaseEvent(event) }
        }
    }

    private func map(_ buffer: Buffer, bytes: Int, flags: cl_map_flags, blocking: Bool, kind: OpenCLTimings.Kind) throws(OpenCLError) -> UnsafeMutableRawPointer {
        var status: cl_int = 0
        var event: cl_event?
        let mapped = library.enqueueMapBuffer(queue, buffer.memory, cl_bool(blocking ? CL_TRUE : CL_FALSE), flags, 0, bytes, 0, nil, &event, &status)
        if let event { events.append((event, kind)) }
        guard let mapped, status == CL_SUCCESS else { throw OpenCLError.call("clEnqueueMapBuffer (\(bytes) bytes)", status: status) }
        return mapped
    }

    private func unmap(_ index: Int, event: inout cl_event?) throws(OpenCLError) {
        guard let buffer = buffers[index], let host = buffer.host else { return }
        buffers[index]!.host = nil
        try OpenCLLibrary.check(library.enqueueUnmapMemObject(queue, buffer.memory, host, 0, nil, &event), "clEnqueueUnmapMemObject")
    }
}
