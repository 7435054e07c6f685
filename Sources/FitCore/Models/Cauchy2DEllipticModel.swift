/// Elliptic 2D Cauchy (Lorentzian) peak with axes along x and y (Gpufit's CAUCHY_2D_ELLIPTIC):
/// a spot with heavier tails than a Gaussian.
///
/// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 gamma_x, 4 gamma_y (half widths at half maximum
/// along each axis), 5 offset B.
///     f(x, y) = A / ((1 + ((x - x0) / gamma_x)^2) (1 + ((y - y0) / gamma_y)^2)) + B
/// It factors into a column part and a row part, so the SIMD backend computes each once per pass.
public struct Cauchy2DEllipticModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .cauchy2DElliptic }
    @inlinable public static var parameterCount: Int { 6 }
    @usableFromInline let amplitude, x0, y0, offset, inverseGammaX, inverseGammaY: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        amplitude = p[0]; x0 = p[1]; y0 = p[2]; offset = p[5]
        inverseGammaX = Lane(1) / p[3]; inverseGammaY = Lane(1) / p[4]
    }

    /// Along one axis, with u = d / gamma and r = 1 / (1 + u^2): r, and the factors that turn
    /// A r_x r_y into the derivatives by the centre (2 u r / gamma) and by the width (2 u^2 r / gamma).
    public typealias AxisTerms = (reciprocal: Lane, slope: Lane, widthTerm: Lane)

    @inlinable @inline(__always)
    static func terms(_ d: Lane, _ inverseGamma: Lane) -> AxisTerms {
        let u = d * inverseGamma
        let r = Lane(1) / (Lane(1) + u * u)
        let twoUR = Lane(2) * u * r
        return (r, twoUR * inverseGamma, twoUR * u * inverseGamma)
    }

    @inlinable @inline(__always)
    public func columnTerms(x: Lane) -> AxisTerms { Self.terms(x - x0, inverseGammaX) }
    @inlinable @inline(__always)
    public func rowTerms(y: Lane) -> AxisTerms { Self.terms(y - y0, inverseGammaY) }

    @inlinable @inline(__always)
    public func evaluate(column: AxisTerms, row: AxisTerms, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let e = column.reciprocal * row.reciprocal
        let ae = amplitude * e
        d[0] = e
        d[1] = ae * column.slope
        d[2] = ae * row.slope
        d[3] = ae * column.widthTerm
        d[4] = ae * row.widthTerm
        d[5] = Lane(1)
        return ae + offset
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        evaluate(column: columnTerms(x: x), row: rowTerms(y: y), derivatives: &d)
    }
}
