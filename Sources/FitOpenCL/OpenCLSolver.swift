import COpenCL
import FitCore

/// Solves prepared fits on one OpenCL device with the one-work-item-per-fit kernel, chunk by
/// chunk: a chunk is sized from the device's memory (and capped), its buffers are made once and
/// reused, so device and host memory stay bounded whatever the number of fits.
public struct OpenCLSolver: Sendable {
    public let context: OpenCLContext
    public let precision: FitPrecision
    /// The most fits one launch takes; tests lower it to exercise chunking.
    public var maximumChunk: Int
    /// Work-items per work-group; 0 lets the driver choose. `FEMTOFIT_OPENCL_LOCAL_SIZE` sets it.
    public var localSize = Int(ProcessInfoEnvironment.current["FEMTOFIT_OPENCL_LOCAL_SIZE"] ?? "") ?? 0
    /// Compiler options for the kernels (Oclgrind needs `-cl-opt-disable` added);
    /// `FEMTOFIT_OPENCL_OPTIONS` adds to them (for tuning on a new device).
    public var buildOptions = OpenCLContext.buildOptions + (ProcessInfoEnvironment.current["FEMTOFIT_OPENCL_OPTIONS"].map { " " + $0 } ?? "")

    public init(context: OpenCLContext, precision: FitPrecision, maximumChunk: Int = 1 << 18) throws(OpenCLError) {
        if precision == .double && !context.device.supportsDouble {
            throw OpenCLError.unsupported("float64 on \(context.device.name), which has no fp64")
        }
        self.context = context
        self.precision = precision
        self.maximumChunk = maximumChunk
    }

    public func solve(_ prepared: PreparedFits, into results: inout FitResults) throws(OpenCLError) {
        if precision == .double {
            try run(Double.self, prepared, into: &results)
        } else {
            try run(Float.self, prepared, into: &results)
        }
    }

    /// Fits per chunk: an eighth of the largest allocation the device allows for the biggest
    /// buffer, and a quarter of its memory for all of them, capped by `maximumChunk`.
    func chunkSize(_ prepared: PreparedFits, realSize: Int) -> Int {
        let p = prepared.parameterCount, points = prepared.pointCount
        let perFit = realSize * (3 * points + 5 * p + 1) + 4 * 4
        let largest = realSize * max(points, p)
        let byAllocation = Int(context.device.maxAllocationBytes / 8) / max(largest, 1)
        let byMemory = Int(context.device.globalMemoryBytes / 4) / perFit
        return max(1, min(maximumChunk, byAllocation, byMemory, prepared.fitCount))
    }

    func run<Real: BinaryFloatingPoint>(_ type: Real.Type, _ prepared: PreparedFits, into results: inout FitResults) throws(OpenCLError) {
        let library = context.library
        let source = try KernelSource(prepared: prepared, double: Real.self == Double.self)
        let program = try context.program(source.text, options: buildOptions)
        var status: cl_int = 0
        guard let kernel = library.createKernel(program, "ff_fit_per_item", &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateKernel", status: status)
        }
        defer { _ = library.releaseKernel(kernel) }
        let p = prepared.parameterCount, points = prepared.pointCount
        let chunk = chunkSize(prepared, realSize: MemoryLayout<Real>.size)
        let batch = prepared.batch
        var sharedX: [Real]? = nil
        if case let .sharedX(xs) = batch.coordinates { sharedX = xs.map { Real($0) } }

        var buffers: [cl_mem] = []
        defer { for b in buffers { _ = library.releaseMemObject(b) } }
        func buffer(_ bytes: Int, _ flags: Int32) throws(OpenCLError) -> cl_mem {
            var status: cl_int = 0
            guard let made = library.createBuffer(context.context, cl_mem_flags(flags), max(bytes, 16), nil, &status), status == CL_SUCCESS else {
                throw OpenCLError.call("clCreateBuffer (\(bytes) bytes)", status: status)
            }
            buffers.append(made)
            return made
        }
        let r = MemoryLayout<Real>.size
        let dataBuffer = try buffer(chunk * points * r, CL_MEM_READ_ONLY)
        let weightBuffer = try buffer(batch.weights == nil ? 0 : chunk * points * r, CL_MEM_READ_ONLY)
        let xBuffer = try buffer(sharedX != nil ? points * r : (batch.coordinates.isPerFitX ? chunk * points * r : 0), CL_MEM_READ_ONLY)
        let startBuffer = try buffer(chunk * p * r, CL_MEM_READ_ONLY)
        let lowerBuffer = try buffer(chunk * p * r, CL_MEM_READ_ONLY)
        let upperBuffer = try buffer(chunk * p * r, CL_MEM_READ_ONLY)
        let skipBuffer = try buffer(chunk * 4, CL_MEM_READ_ONLY)
        let parameterBuffer = try buffer(chunk * p * r, CL_MEM_WRITE_ONLY)
        let inverseBuffer = try buffer(chunk * p * r, CL_MEM_WRITE_ONLY)
        let stateBuffer = try buffer(chunk * 4, CL_MEM_WRITE_ONLY)
        let chiBuffer = try buffer(chunk * r, CL_MEM_WRITE_ONLY)
        let iterationBuffer = try buffer(chunk * 4, CL_MEM_WRITE_ONLY)
        let usedBuffer = try buffer(chunk * 4, CL_MEM_WRITE_ONLY)
        if let sharedX { try write(xBuffer, sharedX) }

        let memories = [dataBuffer, weightBuffer, xBuffer, startBuffer, lowerBuffer, upperBuffer, skipBuffer,
                        parameterBuffer, inverseBuffer, stateBuffer, chiBuffer, iterationBuffer, usedBuffer]
        for (index, memory) in memories.enumerated() {
            var m: cl_mem? = memory
            try OpenCLLibrary.check(library.setKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &m), "clSetKernelArg \(index)")
        }
        var maxIterations = Int32(prepared.settings.maxIterations)
        var tolerance = Real(prepared.settings.tolerance)
        try OpenCLLibrary.check(library.setKernelArg(kernel, 14, 4, &maxIterations), "clSetKernelArg 14")
        try OpenCLLibrary.check(library.setKernelArg(kernel, 15, r, &tolerance), "clSetKernelArg 15")

        var first = 0
        while first < prepared.fitCount {
            let count = min(chunk, prepared.fitCount - first)
            let fits = first ..< first + count
            let pointRange = fits.lowerBound * points ..< fits.upperBound * points
            if let weights = batch.weights {
                // Masked points may hold NaN (a bad pixel); the kernels never see it.
                try write(dataBuffer, pointRange.map { weights[$0] == 0 ? 0 : Real(batch.data[$0]) })
                try write(weightBuffer, weights[pointRange].map { Real($0) })
            } else {
                try write(dataBuffer, batch.data[pointRange].map { Real($0) })
            }
            if case let .perFitX(xs) = batch.coordinates {
                try write(xBuffer, xs[fits.lowerBound * points ..< fits.upperBound * points].map { Real($0) })
            }
            try write(startBuffer, prepared.start[fits.lowerBound * p ..< fits.upperBound * p].map { Real($0) })
            try write(lowerBuffer, prepared.lower[fits.lowerBound * p ..< fits.upperBound * p].map { Real($0) })
            try write(upperBuffer, prepared.upper[fits.lowerBound * p ..< fits.upperBound * p].map { Real($0) })
            try write(skipBuffer, fits.map { Int32(prepared.problems[$0] == nil ? 0 : 1) })
            var fitCount = Int32(count)
            try OpenCLLibrary.check(library.setKernelArg(kernel, 13, 4, &fitCount), "clSetKernelArg 13")
            var local = localSize
            var global = local > 0 ? (count + local - 1) / local * local : count
            let launched = local > 0 ? library.enqueueNDRangeKernel(context.queue, kernel, 1, nil, &global, &local, 0, nil, nil)
                : library.enqueueNDRangeKernel(context.queue, kernel, 1, nil, &global, nil, 0, nil, nil)
            try OpenCLLibrary.check(launched,
                                    "clEnqueueNDRangeKernel (\(count) fits)")
            let parameters: [Real] = try read(parameterBuffer, count * p)
            let inverse: [Real] = try read(inverseBuffer, count * p)
            let states: [Int32] = try read(stateBuffer, count)
            let chis: [Real] = try read(chiBuffer, count)
            let iterations: [Int32] = try read(iterationBuffer, count)
            let used: [Int32] = try read(usedBuffer, count)
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
            first += count
        }
    }

    func write<T>(_ memory: cl_mem, _ values: [T]) throws(OpenCLError) {
        let status = values.withUnsafeBytes {
            context.library.enqueueWriteBuffer(context.queue, memory, cl_bool(CL_TRUE), 0, $0.count, $0.baseAddress, 0, nil, nil)
        }
        try OpenCLLibrary.check(status, "clEnqueueWriteBuffer")
    }

    func read<T: Numeric>(_ memory: cl_mem, _ count: Int) throws(OpenCLError) -> [T] {
        var values = [T](repeating: 0, count: count)
        let status = values.withUnsafeMutableBytes {
            context.library.enqueueReadBuffer(context.queue, memory, cl_bool(CL_TRUE), 0, $0.count, $0.baseAddress, 0, nil, nil)
        }
        try OpenCLLibrary.check(status, "clEnqueueReadBuffer")
        return values
    }
}

extension FitCoordinates {
    var isPerFitX: Bool { if case .perFitX = self { return true }; return false }
}
