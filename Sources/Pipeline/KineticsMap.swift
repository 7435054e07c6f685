import TAMData
import FitCore

/// Per-pixel kinetics maps: every pixel's dT/T across the delay frames fitted by `KineticsTraces`
/// (the one kinetics path: 1 to 4 exponentials convolved with a Gaussian instrument response,
/// plus an offset, docs/reference.md §4), giving maps of each component's amplitude and lifetime, time
/// zero and offset, with their standard errors.
///
/// The instrument response is the instrument's, not a pixel's: its width comes from the
/// frame-summed trace (`TimeZero`) and every pixel holds it. Time zero is fitted per pixel where
/// the frames resolve the rise (`TimeZero.isUsable` on the summed trace), else every pixel holds
/// the summed trace's and the t0 pages are NaN.
///
/// A pixel whose fit is not honest (`FitState.converged`: converged, finite errors, on no bound;
/// a signal still rising at the last delay, with carriers arriving from the spot, has no lifetime
/// in the window) or whose largest amplitude is below `minimumSignificance` standard errors (no
/// signal there: off the spot) is NaN in every page, so a map never shows a number the data did
/// not pin down; how many are is in `maskedPixels`.
public struct KineticsMap: Sendable {
    public var width: Int
    public var height: Int
    /// The most components a pixel may have (the pages run to it).
    public private(set) var maximumComponents: Int
    /// Page names, in the TIFF's order: `components`, then `amplitude_c` and `lifetime_c_fs` for
    /// c = 1 ... maximumComponents, `t0_fs`, `offset`, then the same with `_err` (errors).
    public private(set) var pageLabels: [String]
    /// One page per label, one value per pixel, row by row; NaN where masked or where a pixel has
    /// fewer components.
    public var pages: [[Float]]
    public var maskedPixels = 0
    /// Whether each pixel has its own time zero (the rise resolved), or all hold the series'.
    public var timeZeroPerPixel: Bool
    /// The instrument response's Gaussian sigma held in every pixel's fit, fs.
    public var instrumentResponseFs: Double
    /// The series' time zero from the summed trace, fs (every pixel's start, or held).
    public var seriesTimeZeroFs: Double

    public static let minimumSignificance = 5.0

    /// The value names of one pixel, before the errors: `components` is the first page only.
    static func valueLabels(maximumComponents n: Int) -> [String] {
        (1...n).flatMap { ["amplitude_\($0)", "lifetime_\($0)_fs"] } + ["t0_fs", "offset"]
    }

    /// Fits `stack` (one frame per delay; a signal of either sign), `delays` in fs, one per frame;
    /// `coherentArtifact` adds the artefact terms to every pixel's model (kinetics.csv shows them).
    /// `deliver(range, fits)` also receives each block of pixels' fits (for kinetics.csv), and
    /// `progress(done, total)` counts pixels.
    public init(_ stack: ImageStack, delays: [Double], components: ComponentChoice = .fixed(1), coherentArtifact: Bool = false,
                engine: FitEngine,
                source: String, deliver: ((Range<Int>, [KineticsTraceFit]) throws -> Void)? = nil,
                progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws {
        let frames = stack.frameCount, pixels = stack.width * stack.height
        guard delays.count == frames else {
            throw TAMDataError(source, "has \(frames) frames but \(delays.count) delays; give one delay per frame")
        }
        guard frames >= 6 else { throw TAMDataError(source, "a kinetics map needs at least 6 delay frames; found \(frames)") }
        guard zip(delays, delays.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TAMDataError(source, "delays must rise strictly from frame to frame for a kinetics map")
        }
        width = stack.width; height = stack.height
        maximumComponents = components.counts.max()!
        let values = Self.valueLabels(maximumComponents: maximumComponents)
        pageLabels = ["components"] + values + values.map { $0.hasSuffix("_fs") ? String($0.dropLast(3)) + "_err_fs" : $0 + "_err" }
        pages = [[Float]](repeating: [Float](repeating: .nan, count: pixels), count: pageLabels.count)

        // The response from the frame-summed trace; without a usable fit of it: one delay step,
        // time zero at the summed trace's half rise.
        var summed = [Double](repeating: 0, count: frames)
        for f in 0..<frames {
            for v in stack.frame(f) where v.isFinite { summed[f] += Double(v) }
        }
        let step = zip(delays.dropFirst(), delays).map { $0 - $1 }.min()!
        let peak = summed.indices.max { abs(summed[$0]) < abs(summed[$1]) }!
        let rise = summed.indices.first { abs(summed[$0]) >= abs(summed[peak]) / 2 } ?? peak
        var t0 = delays[rise], irf = step
        let estimate = TimeZero.estimate(delays: delays, signal: summed)
        if let estimate, estimate.converged, estimate.irfSigma.isFinite, estimate.irfSigma > KineticsBounds.floorPerStep * step,
           estimate.t0.isFinite {
            t0 = estimate.t0
            irf = estimate.irfSigma
        }
        timeZeroPerPixel = TimeZero.isUsable(estimate)
        instrumentResponseFs = irf
        seriesTimeZeroFs = t0

        let fitter = KineticsTraces(components: components, coherentArtifact: coherentArtifact, holdsTimeZero: !timeZeroPerPixel, holdsResponseWidth: true)
        let start = (t0: t0, irf: irf)
        var map = self
        try fitter.fit(delays: delays, traceCount: pixels, engine: engine, read: { stack.traces(pixels: $0) },
                       timeZeros: { range, _ in [(t0: Double, irf: Double)](repeating: start, count: range.count) },
                       deliver: { range, fits in
                           map.record(fits, first: range.lowerBound)
                           try deliver?(range, fits)
                       }, progress: progress)
        self = map
    }

    /// Writes pixels `first...` from their fits, masking the ones not to show.
    mutating func record(_ fits: [KineticsTraceFit], first: Int) {
        let n = maximumComponents, valueCount = 2 * n + 2
        let w = 2 * ModelID.maximumExponentials
        for (k, fit) in fits.enumerated() {
            let p = first + k
            let (values, errors) = fit.wide
            let significant = (0..<fit.components).contains { c in
                errors[2 * c] > 0 && abs(values[2 * c]) / errors[2 * c] >= Self.minimumSignificance
            }
            guard fit.isHonest, significant else { maskedPixels += 1; continue }
            pages[0][p] = Float(fit.components)
            var pixel = [Double](repeating: .nan, count: 2 * valueCount)
            for j in 0..<min(2 * fit.components, 2 * n) { pixel[j] = values[j]; pixel[valueCount + j] = errors[j] }
            if timeZeroPerPixel { pixel[2 * n] = values[w]; pixel[valueCount + 2 * n] = errors[w] }
            pixel[2 * n + 1] = values[w + 2]; pixel[valueCount + 2 * n + 1] = errors[w + 2]
            for j in pixel.indices { pages[1 + j][p] = Float(pixel[j]) }
        }
    }

    /// The page `label` (see `pageLabels`); nil when there is none.
    public func page(_ label: String) -> [Float]? {
        pageLabels.firstIndex(of: label).map { pages[$0] }
    }

    /// Per pixel, the lifetime of its largest-amplitude component (NaN where masked): one map
    /// that means "the lifetime" whatever the component count.
    public var dominantLifetimeFs: [Float] {
        let n = maximumComponents
        return (0..<(width * height)).map { p in
            var best: (amplitude: Float, lifetime: Float) = (-1, .nan)
            for c in 1...n {
                let a = abs(pages[2 * c - 1][p]), tau = pages[2 * c][p]
                if a.isFinite, tau.isFinite, a > best.amplitude { best = (a, tau) }
            }
            return best.lifetime
        }
    }

    /// The maps as pages of one float32 TIFF, in `pageLabels` order, labelled for Fiji.
    public func write(to path: String, pixelSize: Double) throws {
        let images = pages.map { ImageStack(width: width, height: height, pixels: $0) }
        try TIFFStack.write(pages: images, to: path, imageJ: ImageJMetadata(pixelSize: pixelSize, frameLabels: pageLabels))
    }
}
