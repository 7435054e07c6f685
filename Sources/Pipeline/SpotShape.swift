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
/// is flagged when either |z| exceeds `flagZ`. The check runs several fits at a time
/// (`SpotShape+Lanes.swift`).
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
        // Built-in models only: the check evaluates the model's compiled form; a runtime model's
        // parameter names say nothing certain about its shape.
        guard model.isBuiltIn else { return false }
        let names = model.parameterNames
        return ["x0", "y0", "offset"].allSatisfy(names.contains) && names.contains { ["sigma", "sigma_x", "sigma_y"].contains($0) }
    }
    public static let apertureSigmas = 3.0

    /// Sums of one aperture's pixels (background removed) about the fitted centre: the weight s0
    /// and the second and fourth moments per axis.
    struct Sums {
        var s0 = 0.0, s2x = 0.0, s2y = 0.0, s4x = 0.0, s4y = 0.0

        /// The mean second moment and the excess kurtosis (NaN without a positive spot).
        var moments: (sigma2: Double, kurtosis: Double) {
            guard s0 > 0, s2x > 0, s2y > 0 else { return (.nan, .nan) }
            return ((s2x + s2y) / (2 * s0), (s4x * s0 / (s2x * s2x) + s4y * s0 / (s2y * s2y)) / 2 - 3)
        }
    }

    /// The check for every fitted frame of `stack` (results from `StackFitter` with a 2D Gaussian
    /// model); frames whose fit did not converge, or with no spot above the background, are skipped.
    /// `arithmetic`: `.double` (the default here, for a stack's few dozen frames) or `.single`
    /// (16 fits per register, what the streaming pipeline uses); see `check(_:variances:fits:model:arithmetic:)`.
    public static func check(_ stack: ImageStack, variances: ImageStack?, results: [StackFitter.FrameResult], model: ModelID,
                             arithmetic: FitPrecision = .double) throws -> [Frame] {
        let p = model.parameterCount
        let parameters = results.flatMap { $0.parameters.count == p ? $0.parameters : Array(repeating: .nan, count: p) }
        let states = results.map { $0.parameters.count == p ? $0.state.rawValue : FitState.invalidInput.rawValue }
        let rois = results.flatMap { [Int32($0.roi.x), Int32($0.roi.y), Int32($0.roi.width), Int32($0.roi.height)] }
        let frames = results.map(\.frame)
        let checks = try parameters.withUnsafeBufferPointer { parameters in
            try states.withUnsafeBufferPointer { states in
                try rois.withUnsafeBufferPointer { rois in
                    try frames.withUnsafeBufferPointer { frames in
                        try check(stack, variances: variances,
                                  fits: FitColumnsView(count: results.count, parameters: parameters.baseAddress!, states: states.baseAddress!,
                                                       rois: rois.baseAddress!, stackFrames: frames.baseAddress!),
                                  model: model, arithmetic: arithmetic)
                    }
                }
            }
        }
        return checks.map { check in
            var frame = check
            frame.frame = results[check.frame].frame
            return frame
        }
    }
}
