/// Straight line (Gpufit's LINEAR_1D).
///
/// Parameters: 0 offset, 1 slope.
///     f(x) = offset + slope x
public struct Linear1DModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .linear1D }
    @inlinable public static var parameterCount: Int { 2 }
    @usableFromInline let offset, slope: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) { offset = p[0]; slope = p[1] }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        d[0] = Lane(1)
        d[1] = x
        return offset + slope * x
    }
}
