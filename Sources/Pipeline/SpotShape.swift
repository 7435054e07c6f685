import TAMData
import FitCore

/// Is a Gaussian the right model for each frame? The spot's own moments, measured on the data
/// (fitted background removed, within 3 fitted sigmas of the fitted centre), are set beside the
/// same moments of the fitted model on the same pixels: the second moment (as a variance per
/// axis, directly comparable with the fitted sigma^2) and the excess kurtosis per axis (0 for a
/// Gaussian; positive for heavy tails, e.g. a fast and a slow population; negative for a
/// flat-topped spot). Measuring the model the same way cancels what the aperture and the pixels do
/// to the moments, so only the shape is compared.
///
/// Each difference is divided by its standard error (pixel noise from the variance stack when
/// given, else from the fit's residuals, carried through the moment sums to first order). A frame
/// is flagged when either |z| exceeds `flagZ`.
public enum SpotShape {
    public struct Frame: Sendable, Equatable {
        public var frame: Int
        /// The fitted sigma^2 (px^2; the geometric mean for elliptic models).
        public var fittedSigma2: Double
        /// Second moment of the data per axis, px^2, and its standard error.
        public var momentSigma2: Double
        public var momentSigma2Error: Double
        /// The model's second moment on the same pixels, px^2.
        public var modelMomentSigma2: Double
        public var excessKurtosis: Double
        public var excessKurtosisError: Double
        public var modelExcessKurtosis: Double
        public var flagged: Bool

        public var widthZ: Double { (momentSigma2 - modelMomentSigma2) / momentSigma2Error }
        public var kurtosisZ: Double { (excessKurtosis - modelExcessKurtosis) / excessKurtosisError }
    }

    public static let flagZ = 4.0

    /// Whether `model` has what the check measures: a centre, a width and a background.
    public static func applies(to model: ModelID) -> Bool {
        let names = model.parameterNames
        return ["x0", "y0", "offset"].allSatisfy(names.contains) && names.contains { ["sigma", "sigma_x", "sigma_y"].contains($0) }
    }
    public static let apertureSigmas = 3.0

    /// Moments of `values` (background already removed) about (x0, y0), with the first-order
    /// standard errors for per-pixel variances `variance` (nil: no errors).
    struct Moments {
        var sigma2 = Double.nan, sigma2Error = Double.nan, kurtosis = Double.nan, kurtosisError = Double.nan
    }

    static func moments(_ values: [Double], xs: [Double], ys: [Double], variance: [Double]?) -> Moments {
        var s0 = 0.0, s2x = 0.0, s2y = 0.0, s4x = 0.0, s4y = 0.0
        for i in values.indices {
            let v = values[i], x2 = xs[i] * xs[i], y2 = ys[i] * ys[i]
            s0 += v; s2x += v * x2; s2y += v * y2; s4x += v * x2 * x2; s4y += v * y2 * y2
        }
        guard s0 > 0, s2x > 0, s2y > 0 else { return Moments() }
        var m = Moments()
        m.sigma2 = (s2x + s2y) / (2 * s0)
        m.kurtosis = (s4x * s0 / (s2x * s2x) + s4y * s0 / (s2y * s2y)) / 2 - 3
        guard let variance else { return m }
        var vs = 0.0, vk = 0.0
        for i in values.indices {
            let x2 = xs[i] * xs[i], y2 = ys[i] * ys[i]
            let ds = (x2 + y2) / (2 * s0) - m.sigma2 / s0
            let dkx = (x2 * x2 * s0 + s4x) / (s2x * s2x) - 2 * s4x * s0 * x2 / (s2x * s2x * s2x)
            let dky = (y2 * y2 * s0 + s4y) / (s2y * s2y) - 2 * s4y * s0 * y2 / (s2y * s2y * s2y)
            let dk = (dkx + dky) / 2
            vs += ds * ds * variance[i]
            vk += dk * dk * variance[i]
        }
        m.sigma2Error = vs.squareRoot()
        m.kurtosisError = vk.squareRoot()
        return m
    }

    /// The check for every fitted frame of `stack` (results from `StackFitter` with a 2D Gaussian
    /// model); frames whose fit did not converge, or with no spot above the background, are skipped.
    public static func check(_ stack: ImageStack, variances: ImageStack?, results: [StackFitter.FrameResult], model: ModelID) throws -> [Frame] {
        let names = model.parameterNames
        guard let ix = names.firstIndex(of: "x0"), let iy = names.firstIndex(of: "y0"), let ib = names.firstIndex(of: "offset") else { return [] }
        let widthIndices = ["sigma", "sigma_x", "sigma_y"].compactMap { names.firstIndex(of: $0) }
        guard !widthIndices.isEmpty else { return [] }
        var frames: [Frame] = []
        for r in results where r.state == .converged {
            let p = r.parameters
            let sigma2 = widthIndices.map { p[$0] * p[$0] }.reduce(1, *)
            let fittedSigma2 = widthIndices.count == 2 ? sigma2.squareRoot() : sigma2
            let radius = apertureSigmas * fittedSigma2.squareRoot()
            var local = p
            local[ix] -= Double(r.roi.x); local[iy] -= Double(r.roi.y)
            let n = r.roi.width * r.roi.height
            let modelValues = try ModelEvaluation.evaluate(model, parameters: local, coordinates: .grid(width: r.roi.width, height: r.roi.height),
                                                          pointCount: n).values
            var data: [Double] = [], fitted: [Double] = [], xs: [Double] = [], ys: [Double] = [], variance: [Double] = []
            var residual = 0.0, used = 0
            let base = r.frame * stack.width * stack.height
            for row in 0..<r.roi.height {
                for column in 0..<r.roi.width {
                    let z = Double(stack.pixels[base + (r.roi.y + row) * stack.width + r.roi.x + column])
                    guard z.isFinite else { continue }
                    let f = modelValues[row * r.roi.width + column]
                    residual += (z - f) * (z - f); used += 1
                    let x = Double(column) - local[ix], y = Double(row) - local[iy]
                    guard x * x + y * y <= radius * radius else { continue }
                    data.append(z - p[ib]); fitted.append(f - p[ib]); xs.append(x); ys.append(y)
                    if let variances { variance.append(Double(variances.pixels[base + (r.roi.y + row) * stack.width + r.roi.x + column])) }
                }
            }
            guard data.count >= 9, used > names.count else { continue }
            if variances == nil || variance.contains(where: { !($0.isFinite && $0 > 0) }) {
                variance = [Double](repeating: residual / Double(used - names.count), count: data.count)
            }
            let measured = moments(data, xs: xs, ys: ys, variance: variance)
            let expected = moments(fitted, xs: xs, ys: ys, variance: nil)
            // No spot above the background (frames before time zero): nothing to compare.
            guard measured.sigma2.isFinite, measured.kurtosis.isFinite, expected.sigma2.isFinite, expected.kurtosis.isFinite else { continue }
            var frame = Frame(frame: r.frame, fittedSigma2: fittedSigma2, momentSigma2: measured.sigma2, momentSigma2Error: measured.sigma2Error,
                              modelMomentSigma2: expected.sigma2, excessKurtosis: measured.kurtosis, excessKurtosisError: measured.kurtosisError,
                              modelExcessKurtosis: expected.kurtosis, flagged: false)
            frame.flagged = abs(frame.widthZ) > flagZ || abs(frame.kurtosisZ) > flagZ
            frames.append(frame)
        }
        return frames
    }
}
