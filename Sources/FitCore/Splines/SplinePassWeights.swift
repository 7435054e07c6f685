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
        for lane in 0..<lanes {
            var power: [[S]] = [], slope: [[S]] = []
            for axis in 0..<3 {
                let p = axis < dimensions ? S(read(lane, axis)) : 0
                positions[lane * 3 + axis] = p
                let floored = (-p).rounded(.down)
                // Far outside (or NaN): every pixel takes the general path.
                shifts[lane * 3 + axis] = floored.isFinite && abs(floored) < 1e9 ? Int(floored) : Int.min / 4
                let t = -p - floored
                power.append(axis < dimensions ? [1, t, t * t, t * t * t] : [1])
                slope.append(axis < dimensions ? [0, 1, 2 * t, 3 * t * t] : [0])
            }
            let base = weights + lane * 4 * count
            var index = 0
            for a in 0..<4 { for b in 0..<4 { for c in 0..<power[2].count {
                base[index] = power[0][a] * power[1][b] * power[2][c]
                base[count + index] = slope[0][a] * power[1][b] * power[2][c]
                base[2 * count + index] = power[0][a] * slope[1][b] * power[2][c]
                base[3 * count + index] = power[0][a] * power[1][b] * slope[2][c]
                index += 1
            } } }
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
            return (S(v.sum()), S(x.sum()), S(y.sum()), S(z.sum()))
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
