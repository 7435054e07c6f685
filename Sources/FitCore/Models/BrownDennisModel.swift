/// Brown and Dennis's function (Gpufit's BROWN_DENNIS, a test function of unconstrained
/// minimisation), as Gpufit defines it: the point with index x sits at t = x / 5.
///
/// Parameters: 0 x1, 1 x2, 2 x3, 3 x4.
///     u = x1 + x2 t - e^t,  v = x3 + x4 sin t - cos t,  f(x) = u^2 + v^2
/// Fitted to data 0 on 20 points, least squares minimises Brown and Dennis's sum of f^2.
public struct BrownDennisModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .brownDennis }
    @inlinable public static var parameterCount: Int { 4 }
    @usableFromInline let x1, x2, x3, x4: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) { x1 = p[0]; x2 = p[1]; x3 = p[2]; x4 = p[3] }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let t = x * Lane(0.2)
        let sine = Lane.sine(t)
        let u = x1 + x2 * t - Lane.exp(t)
        let v = x3 + x4 * sine - Lane.cosine(t)
        d[0] = Lane(2) * u
        d[1] = Lane(2) * t * u
        d[2] = Lane(2) * v
        d[3] = Lane(2) * sine * v
        return u * u + v * v
    }
}
