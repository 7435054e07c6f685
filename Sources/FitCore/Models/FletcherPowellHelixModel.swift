#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fletcher and Powell's helical valley (Gpufit's FLETCHER_POWELL_HELIX, a test function of
/// unconstrained minimisation), as Gpufit defines it: three points, indexed by x = 0, 1, 2.
///
/// Parameters: 0 x1, 1 x2, 2 x3. With theta = atan(x2 / x1) / (2 pi), plus 1/2 where x1 < 0 and 0
/// where x1 = 0, and r = sqrt(x1^2 + x2^2):
///     f(0) = 10 (x3 - 10 theta),  f(1) = 10 (r - 1),  f(2) = x3,  and 0 at any other x.
/// Fitted to data 0, the minimum is (1, 0, 0). pi is Gpufit's 3.14159, so that values and
/// derivatives match Gpufit's; d theta / d x1 and d x2 are those of atan (Gpufit's too).
public struct FletcherPowellHelixModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .fletcherPowellHelix }
    @inlinable public static var parameterCount: Int { 3 }
    /// Gpufit's value of pi for this model.
    public static var gpufitPi: Double { 3.14159 }
    @usableFromInline let x1, x2, x3, theta, radius, inverseSquare: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        x1 = p[0]; x2 = p[1]; x3 = p[2]
        // atan has no lane form: once per fit, lane by lane (the per-point work stays branch-free).
        var theta = Lane(0)
        for lane in 0..<Lane.laneCount {
            let a = p[0][lane: lane], b = p[1][lane: lane]
            theta[lane: lane] = a > 0 ? 0.5 * atan(b / a) / Self.gpufitPi : a < 0 ? 0.5 * atan(b / a) / Self.gpufitPi + 0.5 : 0
        }
        self.theta = theta
        let square = x1 * x1 + x2 * x2
        radius = Lane.squareRoot(square)
        inverseSquare = Lane(1) / square
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let atZero = Lane.lessThan(x, Lane(0.5))
        let atOne = Lane.and(Lane.not(atZero), Lane.lessThan(x, Lane(1.5)))
        let atTwo = Lane.and(Lane.not(Lane.lessThan(x, Lane(1.5))), Lane.lessThan(x, Lane(2.5)))
        let zero = Lane(0)
        let slope = Lane(100 / (2 * Self.gpufitPi)) * inverseSquare
        let inverseRadius = Lane(1) / radius
        d[0] = Lane.select(atZero, slope * x2, Lane.select(atOne, Lane(10) * x1 * inverseRadius, zero))
        d[1] = Lane.select(atZero, zero - slope * x1, Lane.select(atOne, Lane(10) * x2 * inverseRadius, zero))
        d[2] = Lane.select(atZero, Lane(10), Lane.select(atTwo, Lane(1), zero))
        let value0 = Lane(10) * (x3 - Lane(10) * theta)
        let value1 = Lane(10) * (radius - Lane(1))
        return Lane.select(atZero, value0, Lane.select(atOne, value1, Lane.select(atTwo, x3, zero)))
    }
}
