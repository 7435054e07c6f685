import COpenCL
import FitCore

/// Solves prepared fits on one OpenCL device, with one work-item per fit or one work-group per
/// fit (`strategy`), chunk by chunk: a chunk is sized from the device's memory (and capped), and two chunks are in flight on
/// two queues, so one's transfers and host packing overlap the other's kernel (`transfer`: copied
/// through pinned staging, or mapped without a copy). Buffers are made
/// once per call and reused, so device and staging memory stay bounded whatever the number of
/// fits. Device time, kernels apart from transfers, accumulates in `timings`.
public struct OpenCLSolver: Sendable {
    public let context: OpenCLContext
    public let precision: FitPrecision
    /// The most fits one launch takes; tests lower it to exercise chunking.
    public var maximumChunk: Int
    /// Work-items per work-group; 0 lets the driver choose. `FEMTOFIT_OPENCL_LOCAL_SIZE` sets it.
    public var localSize = Int(ProcessInfoEnvironment.current["FEMTOFIT_OPENCL_LOCAL_SIZE"] ?? "") ?? 0
    /// How fits map to work-items (`KernelStrategy.preferred`: by device type, or
    /// `FEMTOFIT_OPENCL_STRATEGY`).
    public var strategy: KernelStrategy
    /// Work-items per fit for `.perGroup` (a power of two; lowered to fit the ROI and the
    /// device's local memory). `FEMTOFIT_OPENCL_GROUP_SIZE` sets it.
    public var groupSize = Int(ProcessInfoEnvironment.current["FEMTOFIT_OPENCL_GROUP_SIZE"] ?? "") ?? 64
    /// How inputs and outputs move (`OpenCLTransfer.preferred`: mapped where the device works in
    /// host memory, else copied through pinned staging; or `FEMTOFIT_OPENCL_TRANSFER`).
    public var transfer: OpenCLTransfer
    /// Compiler options for the kernels (Oclgrind needs `-cl-opt-disable` added);
    /// `FEMTOFIT_OPENCL_OPTIONS` adds to them (for tuning on a new device).
    public var buildOptions = OpenCLContext.buildOptions + (ProcessInfoEnvironment.current["FEMTOFIT_OPENCL_OPTIONS"].map { " " + $0 } ?? "")

    /// Device time of the kernels and transfers this solver (and its copies) ran.
    public let timings = OpenCLTimings()
    /// The driver's figures for the kernel of the latest solve (`OpenCLKernelInfo`).
    public let kernels = OpenCLKernelLog()
    /// Slots kept between solves of the same shape (shared by copies of this solver).
    let slotPool = ChunkSlotPool()

    public init(context: OpenCLContext, precision: FitPrecision, maximumChunk: Int = 1 << 18) throws(OpenCLError) {
        if precision == .double && !context.device.supportsDouble {
            throw OpenCLError.unsupported("float64 on \(context.device.name), which has no fp64")
        }
        self.context = context
        self.precision = precision
        self.maximumChunk = maximumChunk
        strategy = KernelStrategy.preferred(for: context.device)
        transfer = OpenCLTransfer.preferred(for: context.device)
    }

    /// The work-group size `.perGroup` uses for these fits on this solver's device (`groupSize`).
    public func effectiveGroupSize(points: Int, parameters: Int, realSize: Int) -> Int {
        Self.groupSize(requested: groupSize, points: points, parameters: parameters, realSize: realSize,
                       maxWorkGroupSize: context.device.maxWorkGroupSize, localMemoryBytes: context.device.localMemoryBytes)
    }

    /// The work-group size `.perGroup` uses: `requested` rounded down to a power of two, no more
    /// than the points rounded up to one, the device's limit, or what half its local memory holds
    /// of the partial sums.
    public static func groupSize(requested: Int, points: Int, parameters: Int, realSize: Int,
                                 maxWorkGroupSize: Int, localMemoryBytes: UInt64) -> Int {
        var size = 1
        while size * 2 <= max(requested, 1) { size *= 2 }
        let sums = KernelSource.sumCount(parameters: parameters)
        while size > 1 && (size / 2 >= points || size > max(maxWorkGroupSize, 1)
                           || UInt64(sums * size * realSize) > localMemoryBytes / 2) {
            size /= 2
        }
        return size
    }

    public func solve(_ prepared: PreparedFits, into results: inout FitResults) throws(OpenCLError) {
        if precision == .double {
            try run(Double.self, prepared, into: &results)
        } else {
            try run(Float.self, prepared, into: &results)
        }
    }

    /// Fits per chunk: an eighth of the largest allocation the device allows for the biggest
    /// buffer, and an eighth of its memory for all of them (two chunks are in flight), capped by
    /// `maximumChunk`.
    func chunkSize(_ prepared: PreparedFits, realSize: Int) -> Int {
        let p = prepared.parameterCount, points = prepared.pointCount
        let perFit = realSize * (3 * points + 5 * p + 1) + 4 * 4
        let largest = realSize * max(points, p)
        let byAllocation = Int(context.device.maxAllocationBytes / 8) / max(largest, 1)
        let byMemory = Int(context.device.globalMemoryBytes / 8) / perFit
        return max(1, min(maximumChunk, byAllocation, byMemory, prepared.fitCount))
    }

    // Kernel arguments (Kernels/lm.cl, ff_fit_per_item).
    private enum Argument {
        static let data = 0, weights = 1, xs = 2, start = 3, lower = 4, upper = 5, skip = 6
        static let parameters = 7, inverse = 8, states = 9, chiSquares = 10, iterations = 11, used = 12
        static let fitCount = 13, maxIterations = 14, tolerance = 15
        static let inputs = [data, weights, xs, start, lower, upper, skip]
        static let outputs = [parameters, inverse, states, chiSquares, iterations, used]
    }

    func run<Real: BinaryFloatingPoint & BitwiseCopyable>(_ type: Real.Type, _ prepared: PreparedFits, into results: inout FitResults) throws(OpenCLError) {
        let library = context.library
        let p = prepared.parameterCount, points = prepared.pointCount
        let group = strategy == .perGroup ? effectiveGroupSize(points: points, parameters: p, realSize: MemoryLayout<Real>.size) : 0
        let source = try KernelSource(prepared: prepared, double: Real.self == Double.self, strategy: strategy, groupSize: max(group, 1))
        let program = try context.program(source.text, options: buildOptions)
        let chunk = chunkSize(prepared, realSize: MemoryLayout<Real>.size)
        let batch = prepared.batch
        let r = MemoryLayout<Real>.size

        // x values shared by every fit go to the device once, for both slots.
        var shared: [Int: cl_mem] = [:]
        defer { for memory in shared.values { _ = library.releaseMemObject(memory) } }
        // (A spline's coefficients follow them, or stand alone on a grid: KernelSource's FF_TABLE_OFFSET.)
        var sharedValues: [Real] = []
        if case let .sharedX(xs) = batch.coordinates { sharedValues = xs.map { Real($0) } }
        if let spline = batch.spline { sharedValues += spline.coefficients.map { Real($0) } }
        if !sharedValues.isEmpty {
            var status: cl_int = 0
            let values = sharedValues
            guard let memory = library.createBuffer(context.context, cl_mem_flags(CL_MEM_READ_ONLY), values.count * r, nil, &status),
                  status == CL_SUCCESS else { throw OpenCLError.call("clCreateBuffer (x values)", status: status) }
            shared[Argument.xs] = memory
            let written = values.withUnsafeBytes {
                library.enqueueWriteBuffer(context.queues[0], memory, cl_bool(CL_TRUE), 0, $0.count, $0.baseAddress, 0, nil, nil)
            }
            try OpenCLLibrary.check(written, "clEnqueueWriteBuffer (x values)")
        }
        var bytesPerFit = [Int](repeating: 0, count: 13)
        bytesPerFit[Argument.data] = points * r
        bytesPerFit[Argument.weights] = batch.weights == nil ? 0 : points * r
        bytesPerFit[Argument.xs] = batch.coordinates.isPerFitX ? points * r : 0
        for index in [Argument.start, Argument.lower, Argument.upper, Argument.parameters, Argument.inverse] { bytesPerFit[index] = p * r }
        for index in [Argument.skip, Argument.states, Argument.iterations, Argument.used] { bytesPerFit[index] = 4 }
        bytesPerFit[Argument.chiSquares] = r

        let chunkCount = (prepared.fitCount + chunk - 1) / chunk
        var slots: [ChunkSlot] = [], keys: [ChunkSlotPool.Key] = []
        for (queueIndex, queue) in context.queues.prefix(min(2, chunkCount)).enumerated() {
            let key = ChunkSlotPool.Key(program: UInt(bitPattern: program), kernelName: strategy.kernelName, queue: queueIndex, capacity: chunk,
                                        bytesPerFit: bytesPerFit, sharedArguments: shared.keys.sorted(), transfer: transfer)
            let slot: ChunkSlot
            if let kept = slotPool.take(key) {
                slot = kept
                for (index, memory) in shared { try slot.bind(index, memory) }
            } else {
                slot = try ChunkSlot(context: context, program: program, kernelName: strategy.kernelName, queue: queue, capacity: chunk,
                                     bytesPerFit: bytesPerFit, shared: shared, transfer: transfer, timings: timings)
            }
            keys.append(key)
            try slot.setArgument(Argument.maxIterations, Int32(prepared.settings.maxIterations))
            try slot.setArgument(Argument.tolerance, Real(prepared.settings.tolerance))
            slots.append(slot)
        }
        // The driver's view of this solve's kernel, for `femtofit bench` (four small queries, once
        // per solve, whether its slot is new or kept); a driver that cannot say does not stop the fit.
        if let slot = slots.first, let info = try? OpenCLKernelInfo.query(slot.kernel, name: strategy.kernelName, strategy: strategy,
                                                                          groupSize: group, context: context) {
            kernels.record(info)
        }

        var next = 0, first = 0
        while first < prepared.fitCount {
            let slot = slots[next]
            if let done = try slot.wait() {
                unpack(Real.self, slot, done, prepared, into: &results)
                try slot.endUnpacking(outputs: Argument.outputs)
            }
            let fits = first ..< min(first + chunk, prepared.fitCount)
            try slot.beginPacking(count: fits.count, inputs: Argument.inputs)
            pack(Real.self, fits, prepared, into: slot)
            try slot.launch(fits: fits, inputs: Argument.inputs, outputs: Argument.outputs, localSize: localSize, groupSize: group)
            first = fits.upperBound
            next = (next + 1) % slots.count
        }
        for offset in 0..<slots.count {
            let slot = slots[(next + offset) % slots.count]
            if let done = try slot.wait() {
                unpack(Real.self, slot, done, prepared, into: &results)
                try slot.endUnpacking(outputs: Argument.outputs)
            }
        }
        for (slot, key) in zip(slots, keys) { slotPool.give(slot, key: key) }
    }

    /// Copies the chunk's inputs into the slot's host memory, converted to the kernel's precision.
    private func pack<Real: BinaryFloatingPoint>(_ type: Real.Type, _ fits: Range<Int>, _ prepared: PreparedFits, into slot: ChunkSlot) {
        let p = prepared.parameterCount, points = prepared.pointCount, batch = prepared.batch
        let pointRange = fits.lowerBound * points ..< fits.upperBound * points
        let data = slot.host(Argument.data, Real.self)
        batch.data.withUnsafeBufferPointer { values in
            if let weights = batch.weights {
                // Masked points may hold NaN (a bad pixel); the kernels never see it.
                let w = slot.host(Argument.weights, Real.self)
                weights.withUnsafeBufferPointer { weights in
                    for (offset, i) in pointRange.enumerated() {
                        w[offset] = Real(weights[i])
                        data[offset] = weights[i] == 0 ? 0 : Real(values[i])
                    }
                }
            } else {
                for (offset, i) in pointRange.enumerated() { data[offset] = Real(values[i]) }
            }
        }
        if case let .perFitX(xs) = batch.coordinates {
            let x = slot.host(Argument.xs, Real.self)
            for (offset, i) in pointRange.enumerated() { x[offset] = Real(xs[i]) }
        }
        let parameterRange = fits.lowerBound * p ..< fits.upperBound * p
        for (index, values) in [(Argument.start, prepared.start), (Argument.lower, prepared.lower), (Argument.upper, prepared.upper)] {
            let host = slot.host(index, Real.self)
            for (offset, i) in parameterRange.enumerated() { host[offset] = Real(values[i]) }
        }
        let skip = slot.host(Argument.skip, Int32.self)
        for (offset, fit) in fits.enumerated() { skip[offset] = prepared.problems[fit] == nil ? 0 : 1 }
    }

    /// Moves a finished chunk's outputs from the slot's host memory into `results`.
    private func unpack<Real: BinaryFloatingPoint>(_ type: Real.Type, _ slot: ChunkSlot, _ fits: Range<Int>,
                                                    _ prepared: PreparedFits, into results: inout FitResults) {
        let p = prepared.parameterCount
        let parameters = slot.host(Argument.parameters, Real.self), inverse = slot.host(Argument.inverse, Real.self)
        let states = slot.host(Argument.states, Int32.self), chis = slot.host(Argument.chiSquares, Real.self)
        let iterations = slot.host(Argument.iterations, Int32.self), used = slot.host(Argument.used, Int32.self)
        for (offset, fit) in fits.enumerated() {
            if prepared.problems[fit] != nil { FitFinishing.writeInvalid(fit: fit, into: &results); continue }
            let chi = Double(chis[offset])
            let factor = prepared.standardErrorFactor(chiSquare: chi, usedPoints: Double(used[offset]))
            for j in 0..<p {
                let fixed = !prepared.fitMask[j]
                results.parameters[fit * p + j] = fixed ? prepared.start[fit * p + j] : Double(parameters[offset * p + j])
                let variance = Double(inverse[offset * p + j])
                results.standardErrors[fit * p + j] = variance.isNaN ? .nan : fixed ? 0 : (variance * factor).squareRoot()
            }
            results.stateCodes[fit] = states[offset]
            results.chiSquares[fit] = chi
            results.iterations[fit] = iterations[offset]
        }
    }
}

extension FitCoordinates {
    var isPerFitX: Bool { if case .perFitX = self { return true }; return false }
}
