import COpenCL

/// The device's float32 FMA peak in GFLOP/s, measured with `Kernels/peak_fma.cl` and timed with
/// OpenCL events, so `femtofit bench` can give every device's throughput as a fraction of what it
/// can do, GPUs included, without a table of vendors' figures.
public enum OpenCLPeak {
    /// Best of `repeats` launches of about `targetSeconds` each (the first sizes the rest).
    public static func measure(_ context: OpenCLContext, targetSeconds: Double = 0.05, repeats: Int = 3) throws(OpenCLError) -> Double {
        let library = context.library
        guard let source = KernelSource.embedded("peak_fma.cl") else { throw OpenCLError.unsupported("a peak kernel missing from the binary") }
        let program = try context.program(source, options: OpenCLContext.buildOptions)
        var status: cl_int = 0
        guard let kernel = library.createKernel(program, "ff_peak_fma", &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateKernel (ff_peak_fma)", status: status)
        }
        defer { _ = library.releaseKernel(kernel) }
        // Enough work-items to fill every compute unit many times over.
        let workItems = max(context.device.computeUnits, 1) * (context.device.kind == .gpu ? 4096 : 256)
        guard var sink = library.createBuffer(context.context, cl_mem_flags(CL_MEM_WRITE_ONLY), workItems * 4, nil, &status),
              status == CL_SUCCESS else { throw OpenCLError.call("clCreateBuffer (peak)", status: status) }
        defer { _ = library.releaseMemObject(sink) }
        try OpenCLLibrary.check(library.setKernelArg(kernel, 0, MemoryLayout<cl_mem>.size, &sink), "clSetKernelArg 0")
        var seed: Float = 1
        try OpenCLLibrary.check(library.setKernelArg(kernel, 2, 4, &seed), "clSetKernelArg 2")

        func run(passes: Int) throws(OpenCLError) -> Double {
            var count = Int32(passes)
            try OpenCLLibrary.check(library.setKernelArg(kernel, 1, 4, &count), "clSetKernelArg 1")
            var global = workItems
            var event: cl_event?
            let queue = context.queues[0]
            try OpenCLLibrary.check(library.enqueueNDRangeKernel(queue, kernel, 1, nil, &global, nil, 0, nil, &event), "clEnqueueNDRangeKernel (peak)")
            try OpenCLLibrary.check(library.finish(queue), "clFinish (peak)")
            guard let event else { return 0 }
            defer { _ = library.releaseEvent(event) }
            var start: cl_ulong = 0, end: cl_ulong = 0
            try OpenCLLibrary.check(library.getEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START), 8, &start, nil), "clGetEventProfilingInfo")
            try OpenCLLibrary.check(library.getEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END), 8, &end, nil), "clGetEventProfilingInfo")
            return Double(end &- start) / 1e9
        }
        var passes = 1000
        let trial = try run(passes: passes)  // also the warm-up
        passes = max(100, min(10_000_000, Int(Double(passes) * targetSeconds / max(trial, 1e-6))))
        var best = 0.0
        for _ in 0..<repeats {
            let seconds = try run(passes: passes)
            if seconds > 0 { best = max(best, Double(workItems) * Double(passes) * 128 / seconds / 1e9) }
        }
        return best
    }
}
