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

    /// Sums of one aperture's pixels (background removed) about the fitted centre: the weight s0
    /// and the second and fourth moments per axis.
    struct Sums {
        var s0 = 0.0, s2x = 0.0, s2y = 0.0, s4x = 0.0, s4y = 0.0

        mutating func add(_ v: Double, x2: Double, y2: Double) {
            s0 += v; s2x += v * x2; s2y += v * y2; s4x += v * x2 * x2; s4y += v * y2 * y2
        }

        /// The mean second moment and the excess kurtosis (NaN without a positive spot).
        var moments: (sigma2: Double, kurtosis: Double) {
            guard s0 > 0, s2x > 0, s2y > 0 else { return (.nan, .nan) }
            return ((s2x + s2y) / (2 * s0), (s4x * s0 / (s2x * s2x) + s4y * s0 / (s2y * s2y)) / 2 - 3)
        }

        /// The first-order standard errors of the two moments for a pixel at (x^2, y^2) with
        /// variance `variance`, added to `vs` and `vk` (square roots taken by the caller).
        func addErrors(x2: Double, y2: Double, variance: Double, sigma2: Double, vs: inout Double, vk: inout Double) {
            let ds = (x2 + y2) / (2 * s0) - sigma2 / s0
            let dkx = (x2 * x2 * s0 + s4x) / (s2x * s2x) - 2 * s4x * s0 * x2 / (s2x * s2x * s2x)
            let dky = (y2 * y2 * s0 + s4y) / (s2y * s2y) - 2 * s4y * s0 * y2 / (s2y * s2y * s2y)
            let dk = (dkx + dky) / 2
            vs += ds * ds * variance
            vk += dk * dk * variance
        }
    }

    /// The fitted model's values on a ROI, from its column and row terms (computed once per
    /// column and row, so an axis-aligned Gaussian costs no exp per pixel).
    struct ModelValues: ModelVisitor {
        typealias Lane = Double
        let parameters: [Double]
        let width: Int
        let height: Int
        let out: UnsafeMutablePointer<Double>

        func visit<Model: FitModel>(_ model: Model.Type) throws -> Void where Model.Lane == Double {
            parameters.withUnsafeBufferPointer { p in
                let instance = Model(parameters: p.baseAddress!)
                let columns = (0..<width).map { instance.columnTerms(x: Double($0)) }
                var derivatives = ParameterLanes<Double>(repeating: 0)
                for row in 0..<height {
                    let terms = instance.rowTerms(y: Double(row))
                    for column in 0..<width {
                        out[row * width + column] = instance.evaluate(column: columns[column], row: terms, derivatives: &derivatives)
                    }
                }
            }
        }
    }

    /// The check for every fitted frame of `stack` (results from `StackFitter` with a 2D Gaussian
    /// model); frames whose fit did not converge, or with no spot above the background, are skipped.
    /// Two passes over each ROI and no allocation per pixel: the first sums the residuals and both
    /// spots' moments, the second the moments' errors.
    public static func check(_ stack: ImageStack, variances: ImageStack?, results: [StackFitter.FrameResult], model: ModelID) throws -> [Frame] {
        let names = model.parameterNames
        guard let ix = names.firstIndex(of: "x0"), let iy = names.firstIndex(of: "y0"), let ib = names.firstIndex(of: "offset") else { return [] }
        let widthIndices = ["sigma", "sigma_x", "sigma_y"].compactMap { names.firstIndex(of: $0) }
        guard !widthIndices.isEmpty else { return [] }
        var frames: [Frame] = []
        var scratch = [Double]()
        for r in results where r.state == .converged {
            let p = r.parameters
            let sigma2 = widthIndices.map { p[$0] * p[$0] }.reduce(1, *)
            let fittedSigma2 = widthIndices.count == 2 ? sigma2.squareRoot() : sigma2
            let radius2 = apertureSigmas * apertureSigmas * fittedSigma2
            var local = p
            local[ix] -= Double(r.roi.x); local[iy] -= Double(r.roi.y)
            let w = r.roi.width, h = r.roi.height
            if scratch.count < w * h { scratch = [Double](repeating: 0, count: w * h) }
            try scratch.withUnsafeMutableBufferPointer { modelValues in
                try model.dispatch(to: ModelValues(parameters: local, width: w, height: h, out: modelValues.baseAddress!))
            }
            let first = r.frame * stack.width * stack.height + r.roi.y * stack.width + r.roi.x, stride = stack.width
            let cx = local[ix], cy = local[iy], background = p[ib]
            var data = Sums(), fitted = Sums()
            var residual = 0.0, used = 0, inside = 0, varianceUsable = variances != nil
            var vs = 0.0, vk = 0.0
            try stack.pixels.withUnsafeBufferPointer { pixels in
                try (variances?.pixels ?? []).withUnsafeBufferPointer { variancePixels in
                    try scratch.withUnsafeBufferPointer { modelValues in
                        let z = pixels.baseAddress! + first, f = modelValues.baseAddress!
                        let v = variances == nil ? nil : variancePixels.baseAddress.map { $0 + first }
                        // Pass 1: residuals over the ROI, moments of data and model over the aperture.
                        for row in 0..<h {
                            let y = Double(row) - cy, y2 = y * y
                            for column in 0..<w {
                                let value = Double(z[row * stride + column])
                                guard value.isFinite else { continue }
                                let model = f[row * w + column]
                                residual += (value - model) * (value - model); used += 1
                                let x = Double(column) - cx, x2 = x * x
                                guard x2 + y2 <= radius2 else { continue }
                                data.add(value - background, x2: x2, y2: y2)
                                fitted.add(model - background, x2: x2, y2: y2)
                                inside += 1
                                if let v {
                                    let variance = v[row * stride + column]
                                    if !(variance.isFinite && variance > 0) { varianceUsable = false }
                                }
                            }
                        }
                        guard inside >= 9, used > names.count, data.moments.sigma2.isFinite else { return }
                        // Pass 2: the errors, from each pixel's variance, or the residuals' where any is unknown.
                        let constant = residual / Double(used - names.count), sigma2 = data.moments.sigma2
                        for row in 0..<h {
                            let y = Double(row) - cy, y2 = y * y
                            for column in 0..<w {
                                let x = Double(column) - cx, x2 = x * x
                                guard z[row * stride + column].isFinite, x2 + y2 <= radius2 else { continue }
                                let variance = varianceUsable ? Double(v![row * stride + column]) : constant
                                data.addErrors(x2: x2, y2: y2, variance: variance, sigma2: sigma2, vs: &vs, vk: &vk)
                            }
                        }
                    }
                }
            }
            guard inside >= 9, used > names.count else { continue }
            let measured = data.moments, expected = fitted.moments
            // No spot above the background (frames before time zero): nothing to compare.
            guard measured.sigma2.isFinite, measured.kurtosis.isFinite, expected.sigma2.isFinite, expected.kurtosis.isFinite else { continue }
            var frame = Frame(frame: r.frame, fittedSigma2: fittedSigma2, momentSigma2: measured.sigma2, momentSigma2Error: vs.squareRoot(),
                              modelMomentSigma2: expected.sigma2, excessKurtosis: measured.kurtosis, excessKurtosisError: vk.squareRoot(),
                              modelExcessKurtosis: expected.kurtosis, flagged: false)
            frame.flagged = abs(frame.widthZ) > flagZ || abs(frame.kurtosisZ) > flagZ
            frames.append(frame)
        }
        return frames
    }
}
