/// The fast path of the grid spline models (`Spline2DModel`, `Spline3DModel`), built once per
/// LM pass: on a pixel grid every pixel of a fit sits at the same offset inside its interval
/// (u = frac(-x0), v = frac(-y0), w = frac(-z0); the interval index is the pixel's plus
/// floor(-x0)), so each lane's products of powers u^a v^b w^c, and those of the slopes, are made
/// once per pass. A pixel then costs four dot products of its interval's coefficients with them,
/// contiguous SIMD loads instead of a Horner chain per lane. Pixels outside the spline's
/// intervals (where the end polynomials extrapolate, at other offsets) take `SplineEvaluation`.
public final class SplinePassWeights<S: BinaryFloatingPoint> {
    /// Coefficients per interval: 16 (2D) or 64 (3D).
    public let count: Int
    public let lanes: Int
    /// Per lane: value, d/dx, d/dy, d/dz weights, `count` each (d/dz zero in 2D).
    public let weights: UnsafeMutablePointer<S>
    /// Per lane: floor(-x0), floor(-y0), floor(-z0): a pixel's interval is its index plus these.
    public let shifts: UnsafeMutablePointer<Int>
    /// Per lane: x0, y0, z0 in S, for the pixels that take the general path.
    public let positions: UnsafeMutablePointer<S>
    /// 4 x lanes outputs of the pixel being evaluated (value, slopes), aligned for a lane load.
    public let outputs: UnsafeMutableRawPointer

    @inlinable
    public init(dimensions: Int, lanes: Int, positions read: (_ lane: Int, _ axis: Int) -> Double) {
        count = dimensions == 2 ? 16 : 64
        self.lanes = lanes
        weights = .allocate(capacity: lanes * 4 * count)
        shifts = .allocate(capacity: lanes * 3)
        positions = .allocate(capacity: lanes * 3)
        outputs = .allocate(byteCount: 4 * lanes * MemoryLayout<S>.stride, alignment: 64)
        let orders = dimensions == 2 ? 1 : 4
        // power[axis * 4 + a] = t^a, slope[axis * 4 + a] = a t^(a-1), for the lane's offsets t.
        withUnsafeTemporaryAllocation(of: S.self, capacity: 24) { buffer in
            let power = buffer.baseAddress!, slope = power + 12
            for lane in 0..<lanes {
                for axis in 0..<3 {
                    let p = axis < dimensions ? S(read(lane, axis)) : 0
                    positions[lane * 3 + axis] = p
                    let floored = (-p).rounded(.down)
                    // Far outside (or NaN): every pixel takes the general path.
                    shifts[lane * 3 + axis] = floored.isFinite && abs(floored) < 1e9 ? Int(floored) : Int.min / 4
                    let t = axis < dimensions ? -p - floored : 0
                    power[axis * 4] = 1; power[axis * 4 + 1] = t; power[axis * 4 + 2] = t * t; power[axis * 4 + 3] = t * t * t
                    slope[axis * 4] = 0; slope[axis * 4 + 1] = 1; slope[axis * 4 + 2] = 2 * t; slope[axis * 4 + 3] = 3 * t * t
                }
                let base = weights + lane * 4 * count
                var index = 0
                for a in 0..<4 { for b in 0..<4 { for c in 0..<orders {
                    let z = power[8 + c], dz = dimensions == 2 ? 0 : slope[8 + c]
                    base[index] = power[a] * power[4 + b] * z
                    base[count + index] = slope[a] * power[4 + b] * z
                    base[2 * count + index] = power[a] * slope[4 + b] * z
                    base[3 * count + index] = power[a] * power[4 + b] * dz
                    index += 1
                } } }
            }
        }
    }

    deinit {
        weights.deallocate(); shifts.deallocate(); positions.deallocate(); outputs.deallocate()
    }

    /// The four dot products of `count` coefficients at `c` with lane `lane`'s weights.
    @inlinable @inline(__always)
    public func dots(_ c: UnsafePointer<S>, lane: Int) -> (value: S, dx: S, dy: S, dz: S) {
        let w = UnsafeRawPointer(weights + lane * 4 * count), k = UnsafeRawPointer(c)
        let stride = count * MemoryLayout<S>.stride
        if S.self == Float.self {
            var v = SIMD16<Float>(), x = SIMD16<Float>(), y = SIMD16<Float>(), z = SIMD16<Float>()
            for q in Swift.stride(from: 0, to: count * 4, by: 64) {
                let coefficients = k.loadUnaligned(fromByteOffset: q, as: SIMD16<Float>.self)
                v.addProduct(coefficients, w.loadUnaligned(fromByteOffset: q, as: SIMD16<Float>.self))
                x.addProduct(coefficients, w.loadUnaligned(fromByteOffset: stride + q, as: SIMD16<Float>.self))
                y.addProduct(coefficients, w.loadUnaligned(fromByteOffset: 2 * stride + q, as: SIMD16<Float>.self))
                z.addProduct(coefficients, w.loadUnaligned(fromByteOffset: 3 * stride + q, as: SIMD16<Float>.self))
            }
            // The four sums at once: halves folded, then pairs of neighbours.
            let v8 = v.lowHalf + v.highHalf, x8 = x.lowHalf + x.highHalf, y8 = y.lowHalf + y.highHalf, z8 = z.lowHalf + z.highHalf
            let vx = SIMD8(lowHalf: v8.lowHalf + v8.highHalf, highHalf: x8.lowHalf + x8.highHalf)
            let yz = SIMD8(lowHalf: y8.lowHalf + y8.highHalf, highHalf: z8.lowHalf + z8.highHalf)
            let pairs = SIMD8(lowHalf: vx.evenHalf + vx.oddHalf, highHalf: yz.evenHalf + yz.oddHalf)
            let sums = pairs.evenHalf + pairs.oddHalf
            return (S(sums[0]), S(sums[1]), S(sums[2]), S(sums[3]))
        } else {
            var v = SIMD8<Double>(), x = SIMD8<Double>(), y = SIMD8<Double>(), z = SIMD8<Double>()
            for q in Swift.stride(from: 0, to: count * 8, by: 64) {
                let coefficients = k.loadUnaligned(fromByteOffset: q, as: SIMD8<Double>.self)
                v.addProduct(coefficients, w.loadUnaligned(fromByteOffset: q, as: SIMD8<Double>.self))
                x.addProduct(coefficients, w.loadUnaligned(fromByteOffset: stride + q, as: SIMD8<Double>.self))
                y.addProduct(coefficients, w.loadUnaligned(fromByteOffset: 2 * stride + q, as: SIMD8<Double>.self))
                z.addProduct(coefficients, w.loadUnaligned(fromByteOffset: 3 * stride + q, as: SIMD8<Double>.self))
            }
            return (S(v.sum()), S(x.sum()), S(y.sum()), S(z.sum()))
        }
    }
}
