/// Elliptic 2D Gaussian with axes along x and y (Gpufit's GAUSS_2D_ELLIPTIC).
///
/// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma_x, 4 sigma_y, 5 offset B.
///     f(x, y) = A exp(-(x - x0)^2 / (2 sigma_x^2) - (y - y0)^2 / (2 sigma_y^2)) + B
public struct Gauss2DEllipticModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .gauss2DElliptic }
    @inlinable public static var parameterCount: Int { 6 }
    @usableFromInline let amplitude, x0, y0, sigmaX, sigmaY, offset, inverseVarianceX, inverseVarianceY, inverseSigmaX, inverseSigmaY: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        amplitude = p[0]; x0 = p[1]; y0 = p[2]; sigmaX = p[3]; sigmaY = p[4]; offset = p[5]
        inverseSigmaX = Lane(1) / sigmaX; inverseSigmaY = Lane(1) / sigmaY
        inverseVarianceX = inverseSigmaX * inverseSigmaX
        inverseVarianceY = inverseSigmaY * inverseSigmaY
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let dx = x - x0, dy = y - y0
        let u = dx * inverseVarianceX, v = dy * inverseVarianceY
        let e = Lane.exp((u * dx + v * dy) * Lane(-0.5))
        let ae = amplitude * e
        d[0] = e
        d[1] = ae * u
        d[2] = ae * v
        d[3] = ae * u * dx * inverseSigmaX
        d[4] = ae * v * dy * inverseSigmaY
        d[5] = Lane(1)
        return ae + offset
    }

    /// Along one axis: exp(-d^2 / 2 s^2), d / s^2 and d^2 / s^3 for that axis' width s.
    public typealias AxisTerms = (exponential: Lane, slope: Lane, widthTerm: Lane)

    @inlinable @inline(__always)
    public func columnTerms(x: Lane) -> AxisTerms {
        let dx = x - x0, u = dx * inverseVarianceX
        return (Lane.exp(u * dx * Lane(-0.5)), u, u * dx * inverseSigmaX)
    }
    @inlinable @inline(__always)
    public func rowTerms(y: Lane) -> AxisTerms {
        let dy = y - y0, v = dy * inverseVarianceY
        return (Lane.exp(v * dy * Lane(-0.5)), v, v * dy * inverseSigmaY)
    }

    @inlinable @inline(__always)
    public func evaluate(column: AxisTerms, row: AxisTerms, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let e = column.exponential * row.exponential
        let ae = amplitude * e
        d[0] = e
        d[1] = ae * column.slope
        d[2] = ae * row.slope
        d[3] = ae * column.widthTerm
        d[4] = ae * row.widthTerm
        d[5] = Lane(1)
        return ae + offset
    }
}
