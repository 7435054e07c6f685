/// The value of a spline of `SplineTable` at a point and its slopes along each axis, in the
/// precision `S` of the caller's lanes. One formula for every backend on the CPU side: the SIMD
/// models call it lane by lane, the float64 reference in Double.
public enum SplineEvaluation {
    /// c0 + c1 t + c2 t^2 + c3 t^3 and its slope in t (Horner).
    @inlinable @inline(__always)
    static func cubic<S: BinaryFloatingPoint>(_ c0: S, _ c1: S, _ c2: S, _ c3: S, _ t: S) -> (value: S, slope: S) {
        (c0 + t * (c1 + t * (c2 + t * c3)), c1 + t * (2 * c2 + 3 * t * c3))
    }

    @inlinable @inline(__always)
    static func cubicValue<S: BinaryFloatingPoint>(_ c0: S, _ c1: S, _ c2: S, _ c3: S, _ t: S) -> S {
        c0 + t * (c1 + t * (c2 + t * c3))
    }

    /// The interval holding `position` (clamped to the first and last: the end polynomials
    /// extrapolate, as in Gpufit) and the offset into it.
    @inlinable @inline(__always)
    public static func interval<S: BinaryFloatingPoint>(_ position: S, count: Int) -> (index: Int, offset: S) {
        let floored = position.rounded(.down)
        // Far outside (or NaN), the last/first interval: no Int conversion of a huge value.
        let index: Int
        if !(floored >= 0) { index = 0 } else if floored >= S(count - 1) { index = count - 1 } else { index = Int(floored) }
        return (index, position - S(index))
    }

    /// S(x) and dS/dx.
    @inlinable @inline(__always)
    public static func value1D<S: BinaryFloatingPoint>(_ c: UnsafePointer<S>, intervals: Int, x: S) -> (value: S, dx: S) {
        let (i, u) = interval(x, count: intervals)
        let q = c + i * 4
        let r = cubic(q[0], q[1], q[2], q[3], u)
        return (r.value, r.slope)
    }

    /// S(x, y) and its slopes.
    @inlinable @inline(__always)
    public static func value2D<S: BinaryFloatingPoint>(_ c: UnsafePointer<S>, intervals: (x: Int, y: Int), x: S, y: S)
        -> (value: S, dx: S, dy: S) {
        let (i, u) = interval(x, count: intervals.x)
        let (j, v) = interval(y, count: intervals.y)
        let q = c + (i * intervals.y + j) * 16
        // Along y first (the inner index), then along x.
        let r0 = cubic(q[0], q[1], q[2], q[3], v), r1 = cubic(q[4], q[5], q[6], q[7], v)
        let r2 = cubic(q[8], q[9], q[10], q[11], v), r3 = cubic(q[12], q[13], q[14], q[15], v)
        let along = cubic(r0.value, r1.value, r2.value, r3.value, u)
        let dy = cubicValue(r0.slope, r1.slope, r2.slope, r3.slope, u)
        return (along.value, along.slope, dy)
    }

    /// S(x, y, z) and its slopes.
    @inlinable @inline(__always)
    public static func value3D<S: BinaryFloatingPoint>(_ c: UnsafePointer<S>, intervals: (x: Int, y: Int, z: Int), x: S, y: S, z: S)
        -> (value: S, dx: S, dy: S, dz: S) {
        let (i, u) = interval(x, count: intervals.x)
        let (j, v) = interval(y, count: intervals.y)
        let (k, w) = interval(z, count: intervals.z)
        let q = c + ((i * intervals.y + j) * intervals.z + k) * 64
        /// The x order `a` block, reduced along z then y: value, slope in y, slope in z.
        @inline(__always) func block(_ a: Int) -> (value: S, dy: S, dz: S) {
            let b = q + a * 16
            let s0 = cubic(b[0], b[1], b[2], b[3], w), s1 = cubic(b[4], b[5], b[6], b[7], w)
            let s2 = cubic(b[8], b[9], b[10], b[11], w), s3 = cubic(b[12], b[13], b[14], b[15], w)
            let alongY = cubic(s0.value, s1.value, s2.value, s3.value, v)
            let dz = cubicValue(s0.slope, s1.slope, s2.slope, s3.slope, v)
            return (alongY.value, alongY.slope, dz)
        }
        let b0 = block(0), b1 = block(1), b2 = block(2), b3 = block(3)
        let alongX = cubic(b0.value, b1.value, b2.value, b3.value, u)
        return (alongX.value, alongX.slope,
                cubicValue(b0.dy, b1.dy, b2.dy, b3.dy, u), cubicValue(b0.dz, b1.dz, b2.dz, b3.dz, u))
    }
}
