/// Elliptic 2D Gaussian rotated by theta (Gpufit's GAUSS_2D_ROTATED).
///
/// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma_x, 4 sigma_y, 5 offset B, 6 theta (radians).
///     xr = (x - x0) cos theta - (y - y0) sin theta,  yr = (x - x0) sin theta + (y - y0) cos theta
///     f(x, y) = A exp(-xr^2 / (2 sigma_x^2) - yr^2 / (2 sigma_y^2)) + B
public struct Gauss2DRotatedModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .gauss2DRotated }
    @inlinable public static var parameterCount: Int { 7 }
    @usableFromInline let amplitude, x0, y0, sigmaX, sigmaY, offset, cosTheta, sinTheta: Lane
    @usableFromInline let inverseVarianceX, inverseVarianceY, inverseSigmaX, inverseSigmaY: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        amplitude = p[0]; x0 = p[1]; y0 = p[2]; sigmaX = p[3]; sigmaY = p[4]; offset = p[5]
        cosTheta = Lane.cosine(p[6]); sinTheta = Lane.sine(p[6])
        inverseSigmaX = Lane(1) / sigmaX; inverseSigmaY = Lane(1) / sigmaY
        inverseVarianceX = inverseSigmaX * inverseSigmaX
        inverseVarianceY = inverseSigmaY * inverseSigmaY
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let dx = x - x0, dy = y - y0
        let xr = dx * cosTheta - dy * sinTheta
        let yr = dx * sinTheta + dy * cosTheta
        let u = xr * inverseVarianceX, v = yr * inverseVarianceY
        let e = Lane.exp((u * xr + v * yr) * Lane(-0.5))
        let ae = amplitude * e
        d[0] = e
        d[1] = ae * (u * cosTheta + v * sinTheta)
        d[2] = ae * (v * cosTheta - u * sinTheta)
        d[3] = ae * u * xr * inverseSigmaX
        d[4] = ae * v * yr * inverseSigmaY
        d[5] = Lane(1)
        d[6] = ae * xr * yr * (inverseVarianceX - inverseVarianceY)
        return ae + offset
    }
}
