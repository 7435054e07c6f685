/// One point's Poisson deviance 2 [(f - z) - z ln(f / z)], computed without cancellation.
///
/// Written directly, the two terms are each ~sqrt(z) times larger than their difference, so in
/// float32 the sum over a ROI carries noise far above a 1e-6 convergence tolerance. With
/// u = (f - z) / z the term is 2 z (u - ln(1 + u)), and for |u| < 0.1 the series
/// u^2/2 - u^3/3 + u^4/4 - … keeps full precision. For z = 0 the term is 2 f.
public enum PoissonDeviance {
    /// `inverseData` is 1 / z where z > 0 (anything elsewhere): the data do not change during a
    /// fit, so solvers compute it once instead of dividing at every pass.
    @inlinable @inline(__always)
    public static func term<Lane: FitLane>(model f: Lane, data z: Lane, inverseData: Lane) -> Lane {
        let positive = Lane.lessThan(Lane(0), z)
        let u = (f - z) * Lane.select(positive, inverseData, Lane(1))
        var series = Lane(-1.0 / 9)
        for k in stride(from: 8, through: 2, by: -1) {
            series = Lane((k % 2 == 0 ? 1.0 : -1.0) / Double(k)).adding(series, times: u)
        }
        series = series * u * u
        let direct = u - Lane.log(Lane.maximum(Lane(1) + u, Lane(1e-30)))
        let small = Lane.lessThan(Lane.absolute(u), Lane(0.1))
        let bracket = Lane.select(small, series, direct)
        return Lane.select(positive, Lane(2) * z * bracket, Lane(2) * f)
    }
}
