/// Gpufit's cubic-spline models (SPLINE_1D, SPLINE_2D, SPLINE_3D): a template S, given as
/// spline coefficients (`SplineTable`, carried by the batch), shifted to the fit's position,
/// scaled and lifted onto a baseline:
///     1D:  f(x)    = A S(x - x0) + B
///     2D:  f(x, y) = A S(x - x0, y - y0) + B
///     3D:  f(x, y) = A S(x - x0, y - y0, z - z0) + B, z the point's slice (0 for one image)
/// Positions are in the spline's units (one interval per pixel). The spline's interval differs
/// from lane to lane, so each lane reads its own coefficients (`SplineEvaluation`).

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
    @usableFromInline let amplitude, x0, y0, offset: Lane
    @usableFromInline let coefficients: UnsafePointer<Lane.LaneScalar>
    @usableFromInline let intervals: (x: Int, y: Int)

    public init(parameters p: UnsafePointer<Lane>) { preconditionFailure("a spline model is built with its spline") }

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>, spline: SplineTable?) {
        guard let spline, spline.dimensions == 2 else { preconditionFailure("spline2d needs a 2D spline (FitBatch.validateShape checks)") }
        amplitude = p[0]; x0 = p[1]; y0 = p[2]; offset = p[3]
        coefficients = spline.storage(Lane.LaneScalar.self)
        intervals = (spline.intervals.x, spline.intervals.y)
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        typealias S = Lane.LaneScalar
        var s = Lane(0), sx = Lane(0), sy = Lane(0)
        for lane in 0..<Lane.laneCount {
            let r = SplineEvaluation.value2D(coefficients, intervals: intervals,
                                             x: S(x[lane: lane]) - S(x0[lane: lane]), y: S(y[lane: lane]) - S(y0[lane: lane]))
            s[lane: lane] = Double(r.value); sx[lane: lane] = Double(r.dx); sy[lane: lane] = Double(r.dy)
        }
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
    @usableFromInline let amplitude, x0, y0, z0, offset: Lane
    @usableFromInline let coefficients: UnsafePointer<Lane.LaneScalar>
    @usableFromInline let intervals: (x: Int, y: Int, z: Int)
    /// Rows per z slice; 0: every row in slice 0.
    @usableFromInline let sliceHeight: Int

    public init(parameters p: UnsafePointer<Lane>) { preconditionFailure("a spline model is built with its spline") }

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>, spline: SplineTable?) {
        guard let spline, spline.dimensions == 3 else { preconditionFailure("spline3d needs a 3D spline (FitBatch.validateShape checks)") }
        amplitude = p[0]; x0 = p[1]; y0 = p[2]; z0 = p[3]; offset = p[4]
        coefficients = spline.storage(Lane.LaneScalar.self)
        intervals = spline.intervals
        sliceHeight = spline.sliceHeight ?? 0
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        typealias S = Lane.LaneScalar
        var s = Lane(0), sx = Lane(0), sy = Lane(0), sz = Lane(0)
        for lane in 0..<Lane.laneCount {
            var row = y[lane: lane], slice = 0.0
            if sliceHeight > 0 {
                slice = (row / Double(sliceHeight)).rounded(.down)
                row -= slice * Double(sliceHeight)
            }
            let r = SplineEvaluation.value3D(coefficients, intervals: intervals,
                                             x: S(x[lane: lane]) - S(x0[lane: lane]), y: S(row) - S(y0[lane: lane]),
                                             z: S(slice) - S(z0[lane: lane]))
            s[lane: lane] = Double(r.value); sx[lane: lane] = Double(r.dx)
            sy[lane: lane] = Double(r.dy); sz[lane: lane] = Double(r.dz)
        }
        d[0] = s
        d[1] = -(amplitude * sx)
        d[2] = -(amplitude * sy)
        d[3] = -(amplitude * sz)
        d[4] = Lane(1)
        return amplitude * s + offset
    }
}
