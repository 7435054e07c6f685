import TAMData
import Foundation

/// From a dataset's frames to what the fits see, for one series: ΔT/T per run
/// (`DifferentialStack`), saturated pixels masked, runs lined up (`Registration`) and averaged
/// with outliers rejected, the
/// variance of that average, time zero found on the rise, the background from well before it
/// subtracted, and the sign made positive. Every step is on by default and can be switched off; what was repaired or masked is
/// counted for the report.
public struct Preprocessing: Sendable, Equatable {
    /// Subtract, pixel by pixel, the mean ΔT/T of the frames well before time zero: more than
    /// three instrument-response sigmas before the rise when time zero is found (frames just
    /// before zero already hold part of a resolved rise), else those at negative delays.
    public var subtractBackground = true
    /// Reject outlying run pixels and run frames (3 runs or more): `OutlierRule`, calibrated on
    /// its own null distribution for the number of runs and their registration moves, so that
    /// `OutlierRule.falseRate` of clean run pixels are rejected.
    public var rejectOutliers = true
    /// The variance of the run average as least-squares weights (2 runs or more).
    public var weights = true
    /// Mask pump-on or pump-off pixels at or above this many counts (nil: the dataset's
    /// `camera.saturation` setting, else none).
    public var saturationLevel: Float?
    /// Make the spot positive: photo-induced absorption (a negative ΔT/T spot) is flipped.
    public var positiveSign = true
    /// Line up runs before averaging (`Registration`): each run's mean ΔT/T after time zero is
    /// registered to run 0's, and its frames are moved by the shift when it reaches
    /// `minimumShift` pixels (smaller drifts are left alone: the bilinear move would smooth the
    /// noise, and so the scatter the weights come from, for no gain). Frames under 8 pixels a
    /// side are not registered.
    public var registerRuns = true
    public var minimumShift = 0.1
    /// Line up spots: a series of a later spot is registered, by its summed ΔT/T after time zero,
    /// to the first spot's series of the same fluence and wavelength (`spotReference` in `run`),
    /// and moved by the shift when it reaches `minimumShift` pixels, so the pump spot sits on the
    /// same pixels in every spot's stacks and maps.
    public var registerSpots = true
    /// Mask the pixels dataset.json lists as bad and the hot or dead ones found (`BadPixelMask`).
    public var maskBadPixels = true
    /// Move the series' delays so that time zero is at the rise of its frame-summed signal
    /// (`TimeZero`, fitted before the background is subtracted), when the rise pins it
    /// (`TimeZero.problem`).
    public var findTimeZero = true

    public init() {}

    /// The sign of a series' signal.
    public enum Sign: String, Sendable, Codable {
        /// ΔT/T > 0: ground-state bleach.
        case bleach
        /// ΔT/T < 0: photo-induced absorption.
        case photoinducedAbsorption = "photoinduced_absorption"
    }

    public struct Series: Sendable {
        /// ΔT/T per delay, run-averaged, background-subtracted and sign-corrected.
        public var signal: ImageStack
        /// The delay of each frame, fs: as acquired, or from the time zero found
        /// (`TimeZero.effectiveDelay`: after zero, the mean time after the pump the frame sees).
        public var delayFs: [Double]
        /// The time-zero fit, when one was made, and whether the delays were moved by it.
        public var timeZero: TimeZero.Estimate?
        public var timeZeroUsed: Bool
        /// What was added to the acquired delays, fs (-t0 when time zero was used, else 0).
        public var delayShiftFs: Double { timeZeroUsed ? -(timeZero?.t0 ?? 0) : 0 }
        /// Variance of each pixel of `signal` (nil: one run, or weights off); NaN where unknown.
        public var variance: ImageStack?
        /// What fits weighed by `variance` need besides it for honest errors (nil without it).
        public var measuredVariances: MeasuredVariances?
        public var sign: Sign
        /// Run pixels rejected as outliers (`OutlierRule`), of those tested, and masked as saturated.
        public var rejectedPixels: Int
        public var testedPixels: Int = 0
        /// Run frames left out whole (`OutlierRule`'s frame test).
        public var rejectedFrames: Int = 0
        public var saturatedPixels: Int
        /// What was done that a reader of the results should know, in words.
        public var notes: [String]
        /// The sum of the ΔT/T frames after time zero: a later spot's registration reference.
        public var summedSignal: ImageStack
    }

    /// The saturation level in force for `dataset`.
    func saturation(for dataset: Dataset) -> Float? {
        if let saturationLevel { return saturationLevel }
        if case let .number(level)? = dataset.manifest.instrument["camera.saturation"]?.value { return Float(level) }
        return nil
    }

    /// Preprocesses one series of `dataset`.
    /// `spotReference`: the `summedSignal` of the first spot's series of the same fluence and
    /// wavelength, to register this spot to (nil for the first spot, or to leave spots as they are).
    public func run(_ dataset: Dataset, series: DifferentialStack.Series, spotReference: ImageStack? = nil) throws -> Series {
        let m = dataset.manifest, size = m.frameWidth * m.frameHeight, runs = m.axes.runs, delays = m.axes.delayFs
        let saturation = saturation(for: dataset)
        var notes: [String] = []
        var shifts = [(dx: Double, dy: Double)](repeating: (0, 0), count: runs)
        if registerRuns && runs > 1 && min(m.frameWidth, m.frameHeight) < 8 {
            notes.append("registration: frames under 8 pixels a side have too little to line up; runs were not registered")
        } else if registerRuns && runs > 1 {
            shifts = try runShifts(dataset, series: series, saturation: saturation)
            let moved = shifts.enumerated().filter { max(abs($0.element.dx), abs($0.element.dy)) >= minimumShift }
            let listed = shifts.enumerated().dropFirst().map { String(format: "run %d (%.2f, %.2f)", $0.offset, $0.element.dx, $0.element.dy) }
            notes.append("registration: drift against run 0 in px " + listed.joined(separator: ", ")
                         + (moved.isEmpty ? "; none reaches \(minimumShift) px, so no run was moved" : "; runs moved: \(moved.map { String($0.offset) }.joined(separator: ", "))"))
        }
        var badPixels = [Bool](repeating: false, count: size)
        if maskBadPixels {
            let bad = try BadPixelMask.find(dataset, series: series)
            badPixels = bad.mask
            if bad.listed + bad.found > 0 {
                notes.append("bad pixels: \(bad.listed + bad.found) masked (\(bad.listed) listed in dataset.json, \(bad.found) found hot or dead in the pump-off or dark frames)")
            }
        }
        var mean = [Float](repeating: .nan, count: size * delays.count)
        let wantVariance = weights && runs > 1
        var variance = wantVariance ? [Float](repeating: .nan, count: size * delays.count) : []
        var rejected = 0, saturated = 0, testedPixels = 0
        var badFrames: [String] = []
        var values = [Float](repeating: 0, count: runs)
        let moves = shifts.map { max(abs($0.dx), abs($0.dy)) >= minimumShift ? $0 : nil }
        let rule = rejectOutliers && runs >= 3 ? OutlierRule.calibration(moves: moves) : nil
        let frameTested = min(m.frameWidth, m.frameHeight) >= 8
        // The moved runs' noise is smoothed and correlated: the noise summed over the spot is
        // more than the per-pixel variances say (`RegistrationNoise`).
        let correlation = RegistrationNoise.averageVarianceScale(moves: moves)
        if wantVariance && correlation > 1.0001 {
            notes.append(String(format: "weights: registration's moves smooth the moved runs' noise and correlate neighbouring pixels, so the noise summed over the spot is %.2fx what the pixels' variances say; the fits' errors count it", correlation))
        }
        var statistic = OutlierStatistic()
        for delay in delays.indices {
            var frames: [[Float]] = []
            for run in 0..<runs {
                var (frame, masked) = try DifferentialStack.differential(dataset, series: series, delay: delay, run: run, saturation: saturation)
                for k in 0..<size where badPixels[k] { frame[k] = .nan }
                let shift = shifts[run]
                frames.append(max(abs(shift.dx), abs(shift.dy)) >= minimumShift
                    ? Registration.apply(frame, width: m.frameWidth, height: m.frameHeight, dx: -shift.dx, dy: -shift.dy) : frame)
                saturated += masked
            }
            if let rule {
                statistic.compute(frames, width: m.frameWidth, height: m.frameHeight)
                // A whole run frame first (a bad exposure, a burst): it would otherwise inflate
                // the other runs' yardsticks; then the pixels of what is left.
                if frameTested {
                    let deviations = (0..<runs).map { statistic.frameDeviation(run: $0, clip: rule.pixelThreshold) / rule.frameSpread }
                    if let worst = deviations.indices.filter({ deviations[$0].isFinite }).max(by: { abs(deviations[$0]) < abs(deviations[$1]) }),
                       abs(deviations[worst]) > OutlierRule.frameSigmas {
                        frames[worst] = [Float](repeating: .nan, count: size)
                        badFrames.append(String(format: "run %d at %g fs (%+.1f null sd)", worst, delays[delay], deviations[worst]))
                        statistic.compute(frames, width: m.frameWidth, height: m.frameHeight)
                    }
                }
            }
            for k in 0..<size {
                if let rule {
                    testedPixels += statistic.testedRuns(pixel: k)
                    if let run = statistic.rejected(pixel: k, threshold: rule.pixelThreshold) {
                        frames[run][k] = .nan
                        rejected += 1
                    }
                }
                var n = 0
                for run in 0..<runs where frames[run][k].isFinite { values[n] = frames[run][k]; n += 1 }
                guard n > 0 else { continue }
                var sum = 0.0
                for i in 0..<n { sum += Double(values[i]) }
                let average = sum / Double(n)
                mean[delay * size + k] = Float(average)
                if wantVariance && n >= 2 {
                    var squares = 0.0
                    for i in 0..<n { squares += (Double(values[i]) - average) * (Double(values[i]) - average) }
                    variance[delay * size + k] = Float(squares / Double(n - 1) / Double(n))  // of the mean
                }
            }
        }
        // Time zero first, on the averaged frames before any background is taken: frames just
        // before zero can already hold part of the rise.
        var delayFs = delays
        var timeZero: TimeZero.Estimate?, timeZeroUsed = false
        if findTimeZero {
            let trace = Self.summedTrace(mean, variance: wantVariance ? variance : nil, size: size, frames: delays.count)
            // Summed over the frame, the noise counts its correlation in full.
            switch TimeZero.fit(delays: delays, signal: trace.signal, variance: trace.variance.map { $0.map { $0 * correlation } }) {
            case let .fitted(found):
                timeZero = found
                let said = String(format: "%.1f ± %.1f fs (IRF FWHM %.0f fs; %d frames up to %.0f fs)", found.t0, found.standardError, found.irfFWHM, found.pointCount, found.windowEnd)
                if let problem = TimeZero.problem(found) {
                    notes.append("time zero: the rise gives \(said), \(problem), so the delays are as acquired")
                } else {
                    timeZeroUsed = true
                    delayFs = delays.map { TimeZero.effectiveDelay($0 - found.t0, irfSigma: found.irfSigma) }
                    notes.append("time zero: the signal rises at \(said); delays moved by " + String(format: "%.1f fs", -found.t0)
                                 + String(format: ", and those from zero to %.0f fs to the mean time after the pump their frames see through the response (+%.0f fs at zero)", 3 * found.irfSigma, TimeZero.effectiveDelay(0, irfSigma: found.irfSigma)))
                }
            case let .failed(reason):
                notes.append("time zero: not found (\(reason)), so the delays are as acquired")
            }
        }
        if subtractBackground {
            let frames = try backgroundFrames(delays: delays, timeZero: timeZeroUsed ? timeZero : nil, dataset: dataset)
            // The mean of those frames, pixel by pixel; its own variance adds to every frame's.
            for k in 0..<size {
                var sum = 0.0, sumVariance = 0.0, n = 0
                for delay in frames.indices where mean[delay * size + k].isFinite {
                    sum += Double(mean[delay * size + k])
                    if wantVariance { sumVariance += Double(variance[delay * size + k]) }
                    n += 1
                }
                guard n > 0 else { for delay in delays.indices { mean[delay * size + k] = .nan }; continue }
                let background = Float(sum / Double(n)), backgroundVariance = Float(sumVariance / Double(n * n))
                for delay in delays.indices {
                    mean[delay * size + k] -= background
                    if wantVariance { variance[delay * size + k] += backgroundVariance }
                }
            }
            notes.append(frames.note)
        }
        if wantVariance { Self.pool(&variance, width: m.frameWidth, height: m.frameHeight, frames: delays.count) }
        // The sign: of the largest |ΔT/T| after time zero in 3x3-smoothed frames (one noisy pixel
        // does not decide it).
        var extreme: Float = 0
        for delay in delays.indices where delayFs[delay] >= 0 {
            for k in 0..<size {
                let value = Self.smoothed(mean, delay: delay, pixel: k, width: m.frameWidth, height: m.frameHeight)
                if abs(value) > abs(extreme) { extreme = value }
            }
        }
        let sign: Sign = extreme < 0 ? .photoinducedAbsorption : .bleach
        if positiveSign && sign == .photoinducedAbsorption {
            for i in mean.indices { mean[i] = -mean[i] }
            notes.append("sign: photo-induced absorption (negative ΔT/T) flipped positive for fitting")
        }
        var summed = [Float](repeating: 0, count: size)
        for delay in delays.indices where delayFs[delay] >= 0 {
            for k in 0..<size where mean[delay * size + k].isFinite { summed[k] += mean[delay * size + k] }
        }
        if registerSpots, let spotReference, min(m.frameWidth, m.frameHeight) >= 8 {
            let shift = try Registration.shift(reference: spotReference, moving: ImageStack(width: m.frameWidth, height: m.frameHeight, pixels: summed))
            let moved = max(abs(shift.dx), abs(shift.dy)) >= minimumShift
            if moved {
                for delay in delays.indices {
                    let range = (delay * size)..<((delay + 1) * size)
                    mean.replaceSubrange(range, with: Registration.apply(Array(mean[range]), width: m.frameWidth, height: m.frameHeight, dx: -shift.dx, dy: -shift.dy))
                    if wantVariance {
                        variance.replaceSubrange(range, with: Registration.apply(Array(variance[range]), width: m.frameWidth, height: m.frameHeight, dx: -shift.dx, dy: -shift.dy))
                    }
                }
                summed = Registration.apply(summed, width: m.frameWidth, height: m.frameHeight, dx: -shift.dx, dy: -shift.dy)
            }
            notes.append(String(format: "registration: spot %d against spot 0 at (%.2f, %.2f) px", series.spot, shift.dx, shift.dy)
                         + (moved ? "; moved onto it" : "; under \(minimumShift) px, not moved"))
        }
        if let rule, rejected > 0 || !badFrames.isEmpty || testedPixels > 0 {
            let expected = Double(testedPixels) * OutlierRule.falseRate
            notes.append(String(format: "outliers: %d of %d run pixels left out of the average (beyond %.2f of the other runs' scatter: the rule is calibrated for %d runs and their registration moves to reject %g of clean run pixels, %.1f expected here)",
                                rejected, testedPixels, rule.pixelThreshold, runs, OutlierRule.falseRate, expected))
        }
        if !badFrames.isEmpty {
            notes.append("outliers: \(badFrames.count) run frame(s) left out whole, their mean deviation from the other runs beyond \(OutlierRule.frameSigmas) null standard deviations: " + badFrames.prefix(10).joined(separator: ", ") + (badFrames.count > 10 ? ", ..." : ""))
        }
        if saturated > 0 { notes.append("saturation: \(saturated) run pixel(s) at or above \(saturation ?? 0) counts masked") }
        if weights && runs < 2 { notes.append("weights: one run, so no scatter between runs to weigh by; the fits are unweighted") }
        var prepared = Series(signal: ImageStack(width: m.frameWidth, height: m.frameHeight, pixels: mean), delayFs: delayFs, timeZero: timeZero, timeZeroUsed: timeZeroUsed,
                              variance: wantVariance ? ImageStack(width: m.frameWidth, height: m.frameHeight, pixels: variance) : nil,
                              sign: sign, rejectedPixels: rejected, saturatedPixels: saturated, notes: notes,
                              summedSignal: ImageStack(width: m.frameWidth, height: m.frameHeight, pixels: summed))
        prepared.testedPixels = testedPixels
        prepared.measuredVariances = wantVariance ? MeasuredVariances(correlation: correlation) : nil
        prepared.rejectedFrames = badFrames.count
        return prepared
    }

    /// The frames the background is taken from, and what the notes say about them.
    struct BackgroundFrames {
        var indices: [Int]
        var note: String
    }

    /// With a time zero found: the frames more than `TimeZero.backgroundClearance` response
    /// sigmas before the rise (2 when none are; the share of the rise they hold is said). Without
    /// one: the frames at negative delays as acquired. None: an error naming what to do.
    func backgroundFrames(delays: [Double], timeZero: TimeZero.Estimate?, dataset: Dataset) throws -> BackgroundFrames {
        let manifest = dataset.folder + "/" + Dataset.manifestName
        guard let found = timeZero else {
            let before = delays.indices.filter { delays[$0] < 0 }
            guard !before.isEmpty else {
                throw TAMDataError(manifest, "has no delays before time zero, so the background cannot be measured; acquire a few frames at negative delays, or fit without background subtraction (--no-background)")
            }
            return BackgroundFrames(indices: before, note: "background: the mean of \(before.count) frame(s) before time zero subtracted from every frame")
        }
        for clearance in [TimeZero.backgroundClearance, 2] {
            let limit = found.t0 - clearance * found.irfSigma
            let before = delays.indices.filter { delays[$0] < limit }
            guard !before.isEmpty else { continue }
            let share = 0.5 * erfc(clearance / 2.0.squareRoot())
            return BackgroundFrames(indices: before, note: String(format: "background: the mean of %d frame(s) at least %.0f IRF sigmas before the rise (before %.0f fs as acquired; at most %.2f %% of the signal) subtracted from every frame", before.count, clearance, limit, 100 * share))
        }
        throw TAMDataError(manifest, String(format: "no frame lies 2 instrument-response sigmas before the rise at %.1f fs (IRF sigma %.1f fs; the earliest frame is at %.1f fs), so the background cannot be measured without part of the signal; acquire frames further before time zero, or fit without background subtraction (--no-background)", found.t0, found.irfSigma, delays[0]))
    }

    /// The frame sum per delay over the pixels known at every delay (the spot's integral, up to
    /// the background), and its variance when every one of those pixels has one.
    static func summedTrace(_ mean: [Float], variance: [Float]?, size: Int, frames: Int) -> (signal: [Double], variance: [Double]?) {
        let known = (0..<size).filter { k in (0..<frames).allSatisfy { mean[$0 * size + k].isFinite } }
        var signal = [Double](repeating: 0, count: frames), summedVariance = [Double](repeating: 0, count: frames)
        var varianceKnown = variance != nil
        for f in 0..<frames {
            for k in known {
                signal[f] += Double(mean[f * size + k])
                if let variance {
                    let v = variance[f * size + k]
                    if v.isFinite { summedVariance[f] += Double(v) } else { varianceKnown = false }
                }
            }
        }
        return (signal, varianceKnown ? summedVariance : nil)
    }

    /// Each run's drift against run 0, from their mean ΔT/T frames after time zero.
    func runShifts(_ dataset: Dataset, series: DifferentialStack.Series, saturation: Float?) throws -> [(dx: Double, dy: Double)] {
        let m = dataset.manifest, size = m.frameWidth * m.frameHeight
        let late = m.axes.delayFs.indices.filter { m.axes.delayFs[$0] >= 0 }
        var images: [ImageStack] = []
        for run in 0..<m.axes.runs {
            var sum = [Float](repeating: 0, count: size)
            for delay in late {
                let frame = try DifferentialStack.differential(dataset, series: series, delay: delay, run: run, saturation: saturation).frame
                for k in 0..<size where frame[k].isFinite { sum[k] += frame[k] }
            }
            images.append(ImageStack(width: m.frameWidth, height: m.frameHeight, pixels: sum))
        }
        return try images.map { try Registration.shift(reference: images[0], moving: $0) }
    }

    /// Replaces each pixel's variance by the mean over its 3x3 neighbourhood (where known): from
    /// a handful of runs one pixel's scatter is itself very uncertain (2 runs: one degree of
    /// freedom), and weights that noisy would bias the fits; the noise varies slowly across a frame.
    static func pool(_ variance: inout [Float], width: Int, height: Int, frames: Int) {
        let size = width * height
        var pooled = variance
        for f in 0..<frames {
            for y in 0..<height {
                for x in 0..<width {
                    var sum: Float = 0, n = 0
                    Neighbourhood.forEach(x: x, y: y, width: width, height: height) { k in
                        let v = variance[f * size + k]
                        if v.isFinite { sum += v; n += 1 }
                    }
                    let k = f * size + y * width + x
                    pooled[k] = variance[k].isFinite && n > 0 ? sum / Float(n) : .nan
                }
            }
        }
        variance = pooled
    }

    /// The 3x3 mean around a pixel (finite neighbours), so one noisy pixel does not set the sign.
    static func smoothed(_ frames: [Float], delay: Int, pixel: Int, width: Int, height: Int) -> Float {
        let x = pixel % width, y = pixel / width, base = delay * width * height
        var sum: Float = 0, n = 0
        Neighbourhood.forEach(x: x, y: y, width: width, height: height) { k in
            let v = frames[base + k]
            if v.isFinite { sum += v; n += 1 }
        }
        return n > 0 ? sum / Float(n) : 0
    }
}
