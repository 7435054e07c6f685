/// Isotropic 2D Gaussian (Gpufit's GAUSS_2D).
///
/// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma, 4 offset B.
///     f(x, y) = A exp(-((x - x0)^2 + (y - y0)^2) / (2 sigma^2)) + B
public struct Gauss2DModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .gauss2D }
    @inlinable public static var parameterCount: Int { 5 }
    @usableFromInline let amplitude, x0, y0, offset, inverseSigma, inverseVariance: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        amplitude = p[0]; x0 = p[1]; y0 = p[2]; offset = p[4]
        inverseSigma = Lane(1) / p[3]
        inverseVariance = inverseSigma * inverseSigma
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let dx = x - x0, dy = y - y0
        let r2 = dx * dx + dy * dy
        let e = Lane.exp(r2 * inverseVariance * Lane(-0.5))
        let ae = amplitude * e
        let aeOverVariance = ae * inverseVariance
        d[0] = e
        d[1] = aeOverVariance * dx
        d[2] = aeOverVariance * dy
        d[3] = aeOverVariance * r2 * inverseSigma
        d[4] = Lane(1)
        return ae + offset
    }

    /// Along one axis: exp(-d^2 / 2 sigma^2), d / sigma^2 and d^2 / sigma^3, with d = x - x0 (or y - y0).
    public typealias AxisTerms = (exponential: Lane, slope: Lane, widthTerm: Lane)

    @inlinable @inline(__always)
    func axisTerms(_ d: Lane) -> AxisTerms {
        let dOverVariance = d * inverseVariance
        return (Lane.exp(d * dOverVariance * Lane(-0.5)), dOverVariance, d * dOverVariance * inverseSigma)
    }
    @inlinable @inline(__always) public func columnTerms(x: Lane) -> AxisTerms { axisTerms(x - x0) }
    @inlinable @inline(__always) public func rowTerms(y: Lane) -> AxisTerms { axisTerms(y - y0) }

    @inlinable @inline(__always)
    public func evaluate(column: AxisTerms, row: AxisTerms, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let e = column.exponential * row.exponential
        let ae = amplitude * e
        d[0] = e
        d[1] = ae * column.slope
        d[2] = ae * row.slope
        d[3] = ae * (column.widthTerm + row.widthTerm)
        d[4] = Lane(1)
        return ae + offset
    }
}
