#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Spline templates of point-spread functions with known shapes, for tests, benchmarks and demos
/// of the spline models: a peak of height 1 on 0, interpolated (`SplineTable.interpolating`)
/// from samples one pixel (and one z step) apart.
public enum SyntheticSplines {
    /// 1D: two Gaussians of width `sigma`, 1.5 sigma apart, on 31 samples (peak near 15).
    /// 2D: a Gaussian of width `sigma` at the centre of 21 x 21 samples.
    /// 3D: an astigmatic PSF on 21 x 21 x 11 samples: at z step k, widths
    ///     sigma_x = sigma sqrt(1 + ((k - 3.5) / 4)^2), sigma_y = sigma sqrt(1 + ((k - 6.5) / 4)^2),
    ///     so the ellipse's orientation tells z, as in a cylindrical-lens microscope.
    public static func psf(dimensions: Int, sigma: Double = 2, sliceHeight: Int? = nil) throws -> SplineTable {
        switch dimensions {
        case 1:
            let samples = (0..<31).map { i -> Double in
                let x = Double(i) - 15
                return exp(-pow(x - 0.75 * sigma, 2) / (2 * sigma * sigma)) + 0.5 * exp(-pow(x + 0.75 * sigma, 2) / (2 * sigma * sigma))
            }
            let top = samples.max()!
            return try .interpolating(samples: samples.map { $0 / top }, shape: [31])
        case 2:
            var samples: [Double] = []
            for i in 0..<21 { for j in 0..<21 {
                let r2 = pow(Double(i) - 10, 2) + pow(Double(j) - 10, 2)
                samples.append(exp(-r2 / (2 * sigma * sigma)))
            } }
            return try .interpolating(samples: samples, shape: [21, 21])
        default:
            var samples: [Double] = []
            for i in 0..<21 { for j in 0..<21 { for k in 0..<11 {
                let sx = sigma * (1 + pow((Double(k) - 3.5) / 4, 2)).squareRoot()
                let sy = sigma * (1 + pow((Double(k) - 6.5) / 4, 2)).squareRoot()
                let dx = Double(i) - 10, dy = Double(j) - 10
                // Normalised to a peak of 1 in every slice, so amplitude does not tell z.
                samples.append(exp(-dx * dx / (2 * sx * sx) - dy * dy / (2 * sy * sy)))
            } } }
            return try .interpolating(samples: samples, shape: [21, 21, 11], sliceHeight: sliceHeight)
        }
    }
}
