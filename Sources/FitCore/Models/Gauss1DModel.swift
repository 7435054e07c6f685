/// 1D Gaussian (Gpufit's GAUSS_1D).
///
/// Parameters: 0 amplitude A, 1 x0, 2 sigma, 3 offset B.
///     f(x) = A exp(-(x - x0)^2 / (2 sigma^2)) + B
public struct Gauss1DModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .gauss1D }
    @inlinable public static var parameterCount: Int { 4 }
    @usableFromInline let amplitude, x0, sigma, offset, inverseSigma, inverseVariance: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        amplitude = p[0]; x0 = p[1]; sigma = p[2]; offset = p[3]
        inverseSigma = Lane(1) / sigma
        inverseVariance = inverseSigma * inverseSigma
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let dx = x - x0
        let e = Lane.exp(dx * dx * inverseVariance * Lane(-0.5))
        let ae = amplitude * e
        d[0] = e
        d[1] = ae * dx * inverseVariance
        d[2] = ae * dx * dx * inverseVariance * inverseSigma
        d[3] = Lane(1)
        return ae + offset
    }
}
