/// Isotropic 2D Gaussian integrated over each pixel (docs/reference.md §3): exact for finite
/// pixels, for ROIs where sigma is only a pixel or two.
///
/// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma, 4 offset B — the same meanings as
/// `Gauss2DModel`: A is the peak height of the underlying continuous Gaussian, so the two models'
/// amplitudes compare directly; the integrated signal is 2 pi A sigma^2.
///     Ix = (erf((x + 1/2 - x0) / (sqrt 2 sigma)) - erf((x - 1/2 - x0) / (sqrt 2 sigma))) / 2, Iy alike
///     f(x, y) = 2 pi sigma^2 A Ix Iy + B
public struct Gauss2DPixelatedModel<Lane: FitLane>: FitModel {
    @inlinable public static var id: ModelID { .gauss2DPixelated }
    @inlinable public static var parameterCount: Int { 5 }
    @usableFromInline let amplitude, x0, y0, sigma, offset, scale, k, inverseSigma: Lane

    @inlinable @inline(__always)
    public init(parameters p: UnsafePointer<Lane>) {
        amplitude = p[0]; x0 = p[1]; y0 = p[2]; sigma = p[3]; offset = p[4]
        scale = Lane(2 * Double.pi) * sigma * sigma
        inverseSigma = Lane(1) / sigma
        k = Lane(1 / 2.0.squareRoot()) * inverseSigma
    }

    /// The pixel integral along one axis, and its derivatives by the centre and by sigma.
    @inlinable @inline(__always)
    func integral(_ position: Lane, _ centre: Lane) -> (value: Lane, byCentre: Lane, bySigma: Lane) {
        let upper = (position + Lane(0.5) - centre) * k
        let lower = (position - Lane(0.5) - centre) * k
        let eUpper = Lane.exp(-(upper * upper)), eLower = Lane.exp(-(lower * lower))
        let value = (Lane.erf(upper) - Lane.erf(lower)) * Lane(0.5)
        let inverseSqrtPi = Lane(0.56418958354775628695)
        let byCentre = k * inverseSqrtPi * (eLower - eUpper)
        let bySigma = inverseSqrtPi * inverseSigma * (lower * eLower - upper * eUpper)
        return (value, byCentre, bySigma)
    }

    @inlinable @inline(__always)
    public func evaluate(x: Lane, y: Lane, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        evaluate(column: columnTerms(x: x), row: rowTerms(y: y), derivatives: &d)
    }

    public typealias AxisTerms = (value: Lane, byCentre: Lane, bySigma: Lane)
    @inlinable @inline(__always) public func columnTerms(x: Lane) -> AxisTerms { integral(x, x0) }
    @inlinable @inline(__always) public func rowTerms(y: Lane) -> AxisTerms { integral(y, y0) }

    @inlinable @inline(__always)
    public func evaluate(column ix: AxisTerms, row iy: AxisTerms, derivatives d: inout ParameterLanes<Lane>) -> Lane {
        let ixy = ix.value * iy.value
        let a = amplitude * scale
        d[0] = scale * ixy
        d[1] = a * ix.byCentre * iy.value
        d[2] = a * ix.value * iy.byCentre
        d[3] = amplitude * (Lane(4 * Double.pi) * sigma * ixy + scale * (ix.bySigma * iy.value + ix.value * iy.bySigma))
        d[4] = Lane(1)
        return a * ixy + offset
    }
}
