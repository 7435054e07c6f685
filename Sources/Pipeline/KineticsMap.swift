import TAMData
import FitCore
import FitEngine

/// Per-pixel kinetics maps: every pixel's dT/T across the delay frames fitted with the engine's
/// kinetics model (exponential decays convolved with a Gaussian instrument response, REFERENCE §4),
/// giving maps of amplitude, lifetime and time zero with their standard errors.
///
/// A pixel whose fit is not honest (`FitState.converged`: not converged, errors not finite, or a
/// lifetime or time zero on its bound, as a signal still rising at the last delay, with carriers
/// arriving from the spot, has no lifetime in the window) or whose amplitude is below
/// `minimumSignificance` standard errors (no signal there: off the spot) is NaN in every map, so
/// a map never shows a number the data did not pin down; how many are is in `maskedPixels`.
public struct KineticsMap: Sendable {
    public var width: Int
    public var height: Int
    /// One value per pixel, row by row; NaN where masked.
    public var amplitude: [Float]
    public var lifetimeFs: [Float]
    public var timeZeroFs: [Float]
    public var amplitudeError: [Float]
    public var lifetimeErrorFs: [Float]
    public var timeZeroErrorFs: [Float]
    public var maskedPixels: Int
    /// Whether each pixel has its own time zero (the rise resolved), or all hold the series'.
    public var timeZeroPerPixel: Bool
    /// The instrument response's Gaussian sigma held in every pixel's fit, fs.
    public var instrumentResponseFs: Double

    public static let minimumSignificance = 5.0
    public static let pageLabels = ["amplitude", "lifetime_fs", "t0_fs", "amplitude_err", "lifetime_err_fs", "t0_err_fs"]

    /// Fits `stack` (one frame per delay, signal positive: a bleach, or photo-induced absorption
    /// with its sign flipped) with the one-exponential kinetics model. `delays` in fs, one per frame.
    public init(_ stack: ImageStack, delays: [Double], engine: FitEngine = FitEngine(), source: String) throws {
        let frames = stack.frameCount, pixels = stack.width * stack.height
        guard delays.count == frames else {
            throw TAMDataError(source, "has \(frames) frames but \(delays.count) delays; give one delay per frame")
        }
        guard frames >= 6 else { throw TAMDataError(source, "a kinetics map needs at least 6 delay frames; found \(frames)") }
        guard zip(delays, delays.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TAMDataError(source, "delays must rise strictly from frame to frame for a kinetics map")
        }
        width = stack.width; height = stack.height
        // Traces: fit-major, one point per delay.
        var data = [Float](repeating: .nan, count: pixels * frames)
        for f in 0..<frames {
            let frame = stack.frame(f)
            for p in 0..<pixels { data[p * frames + f] = frame[frame.startIndex + p] }
        }
        // The instrument response is the instrument's, not a pixel's: its width comes from the
        // frame-summed trace (`TimeZero`) and is held in every pixel's fit, which leaves each pixel
        // its amplitude, lifetime, time zero and offset. Without a usable summed fit: one delay
        // step, time zero at the summed trace's half rise.
        var summed = [Double](repeating: 0, count: frames)
        for p in 0..<pixels { for f in 0..<frames where data[p * frames + f].isFinite { summed[f] += Double(data[p * frames + f]) } }
        let step = zip(delays.dropFirst(), delays).map { $0 - $1 }.min()!
        let peak = summed.indices.max { summed[$0] < summed[$1] }!
        let rise = summed.indices.first { summed[$0] >= summed[peak] / 2 } ?? peak
        var t0 = delays[rise], irf = step
        let estimate = TimeZero.estimate(delays: delays, signal: summed)
        if let estimate, estimate.converged, estimate.irfSigma.isFinite, estimate.irfSigma > 0, estimate.t0.isFinite {
            t0 = estimate.t0
            irf = estimate.irfSigma
        }
        // Time zero per pixel only where the frames resolve the rise (the summed trace pins it to
        // `TimeZero.maximumError`); else every pixel holds the summed trace's, and the t0 pages are NaN.
        timeZeroPerPixel = TimeZero.isUsable(estimate)
        instrumentResponseFs = irf
        let span = delays.last! - delays.first!
        var start: [Double] = [], lower: [Double] = [], upper: [Double] = []
        for p in 0..<pixels {
            var top: Float = 0
            for f in 0..<frames where data[p * frames + f].isFinite { top = max(top, data[p * frames + f]) }
            start += [Double(top), max((delays.last! - t0) / 3, 10 * step), t0, irf, 0]
            lower += [-.infinity, step / 10, delays.first!, 0.1, -.infinity]
            upper += [.infinity, 10 * span, delays.last!, span, .infinity]
        }
        let batch = FitBatch(model: .kinetics1, fitCount: pixels, pointCount: frames, data: data, coordinates: .sharedX(delays),
                             initialParameters: start, parametersToFit: [true, true, timeZeroPerPixel, false, true], lowerBounds: lower, upperBounds: upper)
        let results = try engine.fit(batch, settings: FitSettings(tolerance: 1e-5, maxIterations: 400))
        amplitude = [Float](repeating: .nan, count: pixels)
        lifetimeFs = amplitude; timeZeroFs = amplitude; amplitudeError = amplitude; lifetimeErrorFs = amplitude; timeZeroErrorFs = amplitude
        var masked = 0
        for p in 0..<pixels {
            let v = results.parameters(of: p), e = results.standardErrors(of: p)
            let a = v[v.startIndex], ae = e[e.startIndex]
            let tau = v[v.startIndex + 1], t0 = v[v.startIndex + 2]
            guard results.state(p) == .converged, ae > 0, a / ae >= Self.minimumSignificance else {
                masked += 1
                continue
            }
            amplitude[p] = Float(a); lifetimeFs[p] = Float(tau)
            amplitudeError[p] = Float(ae); lifetimeErrorFs[p] = Float(e[e.startIndex + 1])
            if timeZeroPerPixel { timeZeroFs[p] = Float(t0); timeZeroErrorFs[p] = Float(e[e.startIndex + 2]) }
        }
        maskedPixels = masked
    }

    /// The maps as pages of one float32 TIFF, in `pageLabels` order, labelled for Fiji.
    public func write(to path: String, pixelSize: Double) throws {
        let pages = [amplitude, lifetimeFs, timeZeroFs, amplitudeError, lifetimeErrorFs, timeZeroErrorFs].map {
            ImageStack(width: width, height: height, pixels: $0)
        }
        try TIFFStack.write(pages: pages, to: path, imageJ: ImageJMetadata(pixelSize: pixelSize, frameLabels: Self.pageLabels))
    }
}
