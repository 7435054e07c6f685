/// Gpufit's cubic-spline models (SPLINE_1D, SPLINE_2D, SPLINE_3D): a template S, given as
/// spline coefficients (`SplineTable`, carried by the batch), shifted to the fit's position,
/// scaled and lifted onto a baseline:
///     1D:  f(x)    = A S(x - x0) + B
///     2D:  f(x, y) = A S(x - x0, y - y0) + B
///     3D:  f(x, y) = A S(x - x0, y - y0, z - z0) + B, z the point's slice (0 for one image)
/// Positions are in the spline's units (one interval per pixel). The spline's interval differs
/// from lane to lane, so each lane reads its own coefficients: the 1D model by `SplineEvaluation`,
/// the grid models by dot products with weights made once per pass (`SplinePassWeights`).

public struct Spline1DModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .spline1D }
    @inlinable public static var parameterCount: Int { 3 }
    @usableFromInline let amplitude, x0, offset: Lane
    @usableFromInline let coefficients: UnsafePointer<Lane.LaneScalar>
    @usableFromInline let intervals: Int

    public init(parameters p: UnsafePointer<Lane>) { preconditionFailure("a spline model is built with its spline") }

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>, spline: SplineTable?) {
        guard let spline, spline.dimensions == 1 else { preconditionFailure("spline1d needs a 1D spline (FitBatch.validateShape checks)") }
        amplitude = p[0]; x0 = p[1]; offset = p[2]
        coefficients = spline.storage(Lane.LaneScalar.self)
        intervals = spline.intervals.x
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        typealias S = Lane.LaneScalar
        var s = Lane(0), sx = Lane(0)
        for lane in 0..<Lane.laneCount {
            let r = SplineEvaluation.value1D(coefficients, intervals: intervals, x: S(x[lane: lane]) - S(x0[lane: lane]))
            s[lane: lane] = Double(r.value); sx[lane: lane] = Double(r.dx)
        }
        d[0] = s
        d[1] = -(amplitude * sx)
        d[2] = Lane(1)
        return amplitude * s + offset
    }
}

public struct Spline2DModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .spline2D }
    @inlinable public static var parameterCount: Int { 4 }
    @usableFromInline let amplitude, offset: Lane
    @usableFromInline let coefficients: UnsafePointer<Lane.LaneScalar>
    @usableFromInline let intervals: (x: Int, y: Int)
    @usableFromInline let pass: SplinePassWeights<Lane.LaneScalar>

    public init(parameters p: UnsafePointer<Lane>) { preconditionFailure("a spline model is built with its spline") }

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>, spline: SplineTable?) {
        guard let spline, spline.dimensions == 2 else { preconditionFailure("spline2d needs a 2D spline (FitBatch.validateShape checks)") }
        amplitude = p[0]; offset = p[3]
        let x0 = p[1], y0 = p[2]
        coefficients = spline.storage(Lane.LaneScalar.self)
        intervals = (spline.intervals.x, spline.intervals.y)
        pass = SplinePassWeights(dimensions: 2, lanes: Lane.laneCount) { lane, axis in axis == 0 ? x0[lane: lane] : y0[lane: lane] }
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        typealias S = Lane.LaneScalar
        let lanes = Lane.laneCount
        // A grid: every lane is at the same pixel.
        let column = Int(x[lane: 0].rounded()), row = Int(y[lane: 0].rounded())
        let out = pass.outputs.assumingMemoryBound(to: S.self)
        for lane in 0..<lanes {
            let i = column + pass.shifts[lane * 3], j = row + pass.shifts[lane * 3 + 1]
            let r: (value: S, dx: S, dy: S)
            if i >= 0 && i < intervals.x && j >= 0 && j < intervals.y {
                let dots = pass.dots(coefficients + (i * intervals.y + j) * 16, lane: lane)
                r = (dots.value, dots.dx, dots.dy)
            } else {
                let g = SplineEvaluation.value2D(coefficients, intervals: intervals, x: S(column) - pass.positions[lane * 3],
                                                 y: S(row) - pass.positions[lane * 3 + 1])
                r = (g.value, g.dx, g.dy)
            }
            out[lane] = r.value; out[lanes + lane] = r.dx; out[2 * lanes + lane] = r.dy
        }
        let raw = UnsafeRawPointer(pass.outputs), size = lanes * MemoryLayout<S>.stride
        let s = raw.load(as: Lane.self), sx = raw.load(fromByteOffset: size, as: Lane.self)
        let sy = raw.load(fromByteOffset: 2 * size, as: Lane.self)
        d[0] = s
        d[1] = -(amplitude * sx)
        d[2] = -(amplitude * sy)
        d[3] = Lane(1)
        return amplitude * s + offset
    }
}

public struct Spline3DModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .spline3D }
    @inlinable public static var parameterCount: Int { 5 }
    @usableFromInline let amplitude, offset: Lane
    @usableFromInline let coefficients: UnsafePointer<Lane.LaneScalar>
    @usableFromInline let intervals: (x: Int, y: Int, z: Int)
    /// Rows per z slice; 0: every row in slice 0.
    @usableFromInline let sliceHeight: Int
    @usableFromInline let pass: SplinePassWeights<Lane.LaneScalar>

    public init(parameters p: UnsafePointer<Lane>) { preconditionFailure("a spline model is built with its spline") }

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>, spline: SplineTable?) {
        guard let spline, spline.dimensions == 3 else { preconditionFailure("spline3d needs a 3D spline (FitBatch.validateShape checks)") }
        amplitude = p[0]; offset = p[4]
        let x0 = p[1], y0 = p[2], z0 = p[3]
        coefficients = spline.storage(Lane.LaneScalar.self)
        intervals = spline.intervals
        sliceHeight = spline.sliceHeight ?? 0
        pass = SplinePassWeights(dimensions: 3, lanes: Lane.laneCount) { lane, axis in
            axis == 0 ? x0[lane: lane] : axis == 1 ? y0[lane: lane] : z0[lane: lane]
        }
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        typealias S = Lane.LaneScalar
        let lanes = Lane.laneCount
        // A grid: every lane is at the same pixel; its row is a row of z slice `slice`.
        let column = Int(x[lane: 0].rounded())
        var row = Int(y[lane: 0].rounded()), slice = 0
        if sliceHeight > 0 { slice = row / sliceHeight; row -= slice * sliceHeight }
        let out = pass.outputs.assumingMemoryBound(to: S.self)
        for lane in 0..<lanes {
            let i = column + pass.shifts[lane * 3], j = row + pass.shifts[lane * 3 + 1], k = slice + pass.shifts[lane * 3 + 2]
            let r: (value: S, dx: S, dy: S, dz: S)
            if i >= 0 && i < intervals.x && j >= 0 && j < intervals.y && k >= 0 && k < intervals.z {
                r = pass.dots(coefficients + ((i * intervals.y + j) * intervals.z + k) * 64, lane: lane)
            } else {
                r = SplineEvaluation.value3D(coefficients, intervals: intervals, x: S(column) - pass.positions[lane * 3],
                                             y: S(row) - pass.positions[lane * 3 + 1], z: S(slice) - pass.positions[lane * 3 + 2])
            }
            out[lane] = r.value; out[lanes + lane] = r.dx; out[2 * lanes + lane] = r.dy; out[3 * lanes + lane] = r.dz
        }
        let raw = UnsafeRawPointer(pass.outputs), size = lanes * MemoryLayout<S>.stride
        let s = raw.load(as: Lane.self), sx = raw.load(fromByteOffset: size, as: Lane.self)
        let sy = raw.load(fromByteOffset: 2 * size, as: Lane.self), sz = raw.load(fromByteOffset: 3 * size, as: Lane.self)
        d[0] = s
        d[1] = -(amplitude * sx)
        d[2] = -(amplitude * sy)
        d[3] = -(amplitude * sz)
        d[4] = Lane(1)
        return amplitude * s + offset
    }
}
