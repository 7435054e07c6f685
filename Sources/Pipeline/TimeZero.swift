import FitCore
import Foundation
import Transport

/// Time zero of a series, from the rise of its frame-summed ΔT/T (the spot's integral, the
/// carrier count). Each probe wavelength has its own series and so its own t0: that is the chirp
/// correction.
///
/// Only the rise window is fitted (`RiseModel`: a step through a Gaussian instrument response,
/// changing smoothly after it, on a baseline): the frames up to about five response widths
/// after the rise. Later frames hold nothing about t0, and a whole-trace model would have to
/// follow recombination and, where a dataset holds the spot's peak height while it spreads, a sum
/// that keeps growing for 100 ps. The fit is made on the signal before any background is
/// subtracted (the baseline is a parameter), so frames that already hold part of the rise are
/// never taken as background.
///
/// The standard error is honest for the noise: from the given variances of the summed trace
/// (scaled up by the reduced chi^2 when the scatter is larger: correlated noise, a model that is
/// only close), else from the scatter about the fit; the 95 % interval uses Student's t on the
/// fit's degrees of freedom when the noise came from the scatter.
public enum TimeZero {
    public struct Estimate: Sendable, Equatable {
        /// Time zero on the acquired delay axis, fs, its standard error and 95 % interval.
        public var t0: Double
        public var standardError: Double
        public var ci95: [Double]
        /// Gaussian sigma of the instrument response, fs, and its standard error.
        public var irfSigma: Double
        public var irfSigmaError: Double
        /// Height of the step (negative: photo-induced absorption) and the baseline before it.
        public var amplitude: Double
        public var baseline: Double
        public var converged: Bool
        /// The frames fitted, and the last delay of the window.
        public var pointCount: Int
        public var windowEnd: Double
        /// Whether the noise came from the variances given (else from the scatter about the fit).
        public var noiseFromVariance: Bool

        /// The instrument response's full width at half maximum, fs.
        public var irfFWHM: Double { irfSigma * 2 * (2 * log(2.0)).squareRoot() }

        /// The estimate as analysis.json and fits.json write numbers.
        public var asEstimate: Transport.Estimate { Transport.Estimate(value: t0, stderr: standardError, ci95: ci95) }
    }

    /// How much worse (scaled chi^2) an instant step inside a gap of the grid must fit than the
    /// resolved rise for the rise to count as resolved: chi^2(1)'s 1e-5 point. At 0.1 % (10.83)
    /// a step after the demo's gap passed as a rise in 4 of 12 000 noisy traces, 3 of them 45–68 fs
    /// early at 4–6 standard errors; at 1e-5 none did, and the grid of resolved rises
    /// (`TimeZeroTests`) lost no more fits than before (52–77 of 4 608 either way).
    public static let gapStepRejection = 19.51
    /// A t0 pinned this well (one standard error, fs) is used whatever its size.
    public static let maximumError = 10.0
    /// A larger error is still used when t0 lies this many standard errors from the acquired zero:
    /// moving the delays then leaves an error of one standard error instead of |t0|.
    public static let significantShift = 3.0
    /// Frames before `t0 - backgroundClearance * irfSigma` hold less than 0.14 % of the rise: the
    /// background is taken from those.
    public static let backgroundClearance = 3.0

    /// The rise's fit, or why none could be made (too few frames, no rise, a rise the delay grid
    /// does not resolve).
    public enum Outcome: Sendable, Equatable {
        case fitted(Estimate)
        case failed(String)

        public var estimate: Estimate? { if case let .fitted(e) = self { return e } else { return nil } }
    }

    /// Fits the rise of `signal` (one value per delay, the frame sum); `variance`: of each value
    /// (nil: unknown, taken from the scatter about the fit). Non-finite points are left out.
    /// `profileErrors: false` takes t0's error from the curvature alone instead of chi^2's profile
    /// (ten times faster): for a start value, whose error nobody reads (`KineticsTraces`).
    public static func fit(delays: [Double], signal: [Double], variance: [Double]? = nil, profileErrors: Bool = true) -> Outcome {
        precondition(signal.count == delays.count && (variance?.count ?? delays.count) == delays.count)
        let points = delays.indices.filter { i in
            guard signal[i].isFinite, delays[i].isFinite else { return false }
            guard let variance else { return true }
            return variance[i].isFinite && variance[i] > 0
        }
        guard points.count >= 7 else { return .failed("\(points.count) usable frames; the rise needs at least 7") }
        let t = points.map { delays[$0] }, y = points.map { signal[$0] }
        let sigma: [Double]
        if let variance { sigma = points.map { variance[$0].squareRoot() } } else { sigma = [Double](repeating: 1, count: t.count) }
        guard let start = RiseStart(t: t, y: y) else {
            return .failed("no rise: the signal does not change, or is already risen at the first delay (\(format(t[0])) fs); acquire frames before time zero")
        }
        let minimumStep = zip(t.dropFirst(), t).map { $0 - $1 }.min() ?? 1
        var best: (result: CurveFit.Result, window: Int, lower: [Double], upper: [Double])?
        var end = windowEnd(after: t[start.index], sigma: start.sigma, step: start.step, t: t, rise: start.index)
        var windowsTried: Set<Int> = []
        // Fit the window, then the window the fit's own t0 and sigma define, until it settles.
        while windowsTried.count < 4 && !windowsTried.contains(end) {
            windowsTried.insert(end)
            let tw = Array(t[...end]), yw = Array(y[...end]), sw = Array(sigma[...end])
            let span = tw.last! - tw.first!, after = max(tw.last! - t[start.index], start.step)
            let lower = [-Double.infinity, tw.first!, minimumStep / 2, -5 / after, -4 / (after * after), -Double.infinity]
            let upper = [Double.infinity, tw.last!, span, max(5 / after, 2 / minimumStep), 4 / (after * after), Double.infinity]
            var bestHere: CurveFit.Result?
            for scale in [1.0, 0.3, 3.0] {
                let guess = [start.height, t[start.index], min(max(start.sigma * scale, lower[2]), upper[2]), 0, 0, start.baseline]
                let result = CurveFit.fit(x: tw, y: yw, sigma: sw, start: guess, lower: lower, upper: upper, maxIterations: 200,
                                          model: RiseModel.value)
                if let result, result.chiSquare < (bestHere?.chiSquare ?? .infinity) { bestHere = result }
            }
            guard let found = bestHere else { break }
            best = (found, end, lower, upper)
            end = windowEnd(after: found.parameters[1], sigma: found.parameters[2], step: start.step, t: t, rise: start.index)
        }
        guard let (result, window, lower, upper) = best else {
            return .failed("the rise could not be fitted: the delay grid does not resolve it")
        }
        let q = result.parameters, dof = result.degreesOfFreedom
        guard dof >= 2 else { return .failed("\(window + 1) frames in the rise window leave too few degrees of freedom") }
        let reduced = result.chiSquare / Double(dof)
        let scale = variance == nil ? reduced : max(1, reduced)
        let curvatureError = (result.covariance[1][1] * scale).squareRoot(), irfError = (result.covariance[2][2] * scale).squareRoot()
        guard curvatureError.isFinite, curvatureError > 0 else { return .failed("the fit cannot say where the step is (its error is not finite): the delay grid does not resolve the rise") }
        guard t[0] < q[1] - q[2] else {
            return .failed("the signal is already rising at the first delay (\(format(t[0])) fs; the fit puts the rise at \(format(q[1])) fs with a response sigma of \(format(q[2])) fs); acquire frames further before time zero")
        }
        // A response at its floor (half the smallest delay step) is a rise sharper than the grid
        // samples: its t0 lies anywhere between two frames, and a fit that forces a width on it
        // states an error far too small.
        guard q[2] > 1.01 * lower[2] else {
            return .failed("the rise is sharper than the delay steps resolve (the response sigma reaches its floor, \(format(lower[2])) fs); acquire finer steps across it")
        }
        // A rise no frame samples (a step between two frames) leaves t0 anywhere between them,
        // whatever the fit says: a frame must lie between 5 % and 95 % of it.
        let inRise = t.filter { abs($0 - q[1]) < 1.645 * q[2] }.count
        guard inRise >= 1 else {
            return .failed("the delay grid does not resolve the rise (no frame within it; the fit puts it at \(format(q[1])) fs, response sigma \(format(q[2])) fs); acquire frames every ~\(format(max(q[2], 10))) fs across it")
        }
        let tw = Array(t[...window]), yw = Array(y[...window]), sw = Array(sigma[...window])
        // A gap between frames of five times the sigma's floor or more (so that a step at the
        // floor is a step there; an evenly stepped grid has none), near the rise, could hide an
        // instant step: the rise counts as resolved only when such a step (the response held at
        // its floor, t0 within the gap) fits clearly worse, by `gapStepRejection` in scaled
        // chi^2. Otherwise noise that leans one way on the frames after a gap makes a slow rise
        // of them: on the demo's grid (-200, then 0 fs) a step at 0 gave -75 +- 23 fs, -87 +- 22
        // fs and -17 +- 9 fs (1-2 traces in 100 at SNR 20).
        var stepFits: (chiSquare: Double, from: Double, to: Double)?
        for i in 0..<window where tw[i + 1] - tw[i] >= 5 * lower[2] && tw[i + 1] > q[1] - 4 * q[2] && tw[i] < q[1] + 4 * q[2] {
            var guess = q, low = lower, high = upper
            guess[1] = (tw[i] + tw[i + 1]) / 2; guess[2] = lower[2]
            low[1] = tw[i]; high[1] = tw[i + 1]; high[2] = lower[2]
            if let step = CurveFit.fit(x: tw, y: yw, sigma: sw, start: guess, lower: low, upper: high, maxIterations: 100, model: RiseModel.value),
               step.chiSquare < (stepFits?.chiSquare ?? .infinity) {
                stepFits = (step.chiSquare, tw[i], tw[i + 1])
            }
        }
        if let step = stepFits, (step.chiSquare - result.chiSquare) / scale < Self.gapStepRejection {
            return .failed("the delay grid does not resolve the rise: an instant step between the frames at \(format(step.from)) and \(format(step.to)) fs fits as well (chi^2 +\(format(max(0, step.chiSquare - result.chiSquare) / scale)), under \(format(Self.gapStepRejection))); acquire frames every ~\(format(max(q[2], 10))) fs across it")
        }
        // The error from the profile of chi^2 in t0 (the other parameters refitted at each t0):
        // where it has risen by one (scaled) unit on each side. Near the noise floor the model is
        // far from linear in t0 and the curvature alone understates the error.
        // Refitted from the fitted response width and from half of it: moving t0 away from the
        // optimum can call for a sharper rise, which a refit from the old width alone may miss,
        // and a missed refit would end the profile early and the error too small.
        func profile(_ t0: Double) -> Double? {
            var low = lower, high = upper
            low[1] = t0; high[1] = t0
            return [q[2], max(lower[2] * 1.01, q[2] / 2)].compactMap { width -> Double? in
                var held = q
                held[1] = t0; held[2] = width
                return CurveFit.fit(x: tw, y: yw, sigma: sw, start: held, lower: low, upper: high, maxIterations: 100, model: RiseModel.value)?.chiSquare
            }.min()
        }
        let side = !profileErrors ? [curvatureError, curvatureError] : [-1.0, 1.0].map { direction in
            profileCrossing(from: q[1], direction: direction, guess: curvatureError, limit: direction < 0 ? lower[1] : upper[1]) { t0 in
                profile(t0).map { ($0 - result.chiSquare) / scale }
            } ?? curvatureError
        }
        let error = (side[0] + side[1]) / 2
        let quantile = variance == nil ? studentQuantile975(degreesOfFreedom: dof) : 1.96
        return .fitted(Estimate(t0: q[1], standardError: error, ci95: [q[1] - quantile * side[0], q[1] + quantile * side[1]],
                                irfSigma: q[2], irfSigmaError: irfError, amplitude: q[0], baseline: q[5], converged: result.converged,
                                pointCount: window + 1, windowEnd: t[window], noiseFromVariance: variance != nil))
    }

    /// How far from `best` in `direction` the scaled chi^2 rise `rise(t0)` reaches 1: stepped out
    /// from `guess` until it does (the `limit` of t0 ends the search), then bisected. nil when a
    /// refit fails or the rise never reaches 1 before the limit.
    static func profileCrossing(from best: Double, direction: Double, guess: Double, limit: Double, rise: (Double) -> Double?) -> Double? {
        var inside = 0.0, outside = guess
        while true {
            guard abs(outside) <= abs(limit - best) else { return nil }
            guard let r = rise(best + direction * outside) else { return nil }
            if r >= 1 { break }
            inside = outside
            outside *= 2
            if outside > 64 * guess { return nil }
        }
        for _ in 0..<8 {
            let middle = (inside + outside) / 2
            guard let r = rise(best + direction * middle) else { return nil }
            if r >= 1 { outside = middle } else { inside = middle }
        }
        return (inside + outside) / 2
    }

    /// Start values from the trace: the rise is where the signal changes fastest (the slope of a
    /// straight line through five frames around each), its height the change from the first
    /// frames' level to where the slope has fallen to a quarter, and the response's sigma from
    /// height / (slope sqrt(2 pi)), the steepest slope of a step through a Gaussian. Taking the
    /// steepest change, not the half of the largest, keeps a sum that grows for 100 ps after the
    /// rise from putting the rise there.
    struct RiseStart {
        var index: Int
        var height: Double
        var baseline: Double
        var sigma: Double
        /// The delay step at the rise.
        var step: Double

        init?(t: [Double], y: [Double]) {
            let n = t.count
            let lead = max(2, min(4, n / 5))
            baseline = y.prefix(lead).reduce(0, +) / Double(lead)
            let slopes = (0..<n).map { i -> Double in
                let range = max(0, i - 2)...min(n - 1, i + 2)
                let tm = range.map { t[$0] }.reduce(0, +) / Double(range.count), ym = range.map { y[$0] }.reduce(0, +) / Double(range.count)
                var sxy = 0.0, sxx = 0.0
                for j in range { sxy += (t[j] - tm) * (y[j] - ym); sxx += (t[j] - tm) * (t[j] - tm) }
                return sxx > 0 ? sxy / sxx : 0
            }
            let steepestSlope = slopes.indices.max { abs(slopes[$0]) < abs(slopes[$1]) }!
            let slope = slopes[steepestSlope]
            guard slope != 0, slope.isFinite else { return nil }
            let steepest = max(steepestSlope, 1)
            let settled = (steepest + 1..<n).first { abs(slopes[$0]) < 0.25 * abs(slope) } ?? min(steepest + 3, n - 1)
            var height = y[settled] - baseline
            if height * slope <= 0 { height = 2 * slope * (t[settled] - t[steepest]) }
            index = steepest
            step = t[steepest] - t[steepest - 1]
            self.height = height
            sigma = max(abs(height) / (abs(slope) * (2 * Double.pi).squareRoot()), step / 2)
        }
    }

    /// The last index of the rise window: about five response widths past `riseAt`, with at
    /// least four frames after the steepest rise and ten in all.
    static func windowEnd(after riseAt: Double, sigma: Double, step: Double, t: [Double], rise: Int) -> Int {
        let limit = riseAt + max(5 * sigma, 3 * step)
        let last = t.lastIndex { $0 <= limit } ?? t.count - 1
        return min(max(last, rise + 4, RiseModel.parameterCount + 4), t.count - 1)
    }

    /// The fit, when one could be made (see `fit`).
    public static func estimate(delays: [Double], signal: [Double], variance: [Double]? = nil) -> Estimate? {
        fit(delays: delays, signal: signal, variance: variance).estimate
    }

    /// Why `estimate` is not good enough to move the delays by; nil when it is.
    public static func problem(_ estimate: Estimate) -> String? {
        if !estimate.converged { return "the fit did not converge" }
        if !(estimate.standardError.isFinite && estimate.irfSigma.isFinite) { return "its error is not finite" }
        if estimate.standardError <= maximumError || abs(estimate.t0) >= significantShift * estimate.standardError { return nil }
        return "not pinned to \(format(maximumError)) fs, nor \(format(significantShift)) standard errors from the acquired zero"
    }

    /// Whether `estimate` is good enough to move the delays by.
    public static func isUsable(_ estimate: Estimate?) -> Bool {
        guard let estimate else { return false }
        return problem(estimate) == nil
    }

    /// The delay to give a frame `u` fs after time zero, through a Gaussian response of sigma
    /// `irfSigma`: the mean time after the pump of the carriers it sees, u + s phi(u/s) / Phi(u/s)
    /// (a truncated normal's mean), for u >= 0; frames before zero keep u (they stay out of the
    /// transport analysis). A frame at zero sees carriers 0.8 s old on average, and its spot's
    /// width is theirs: labelled u, the early MSD would rise too slowly and D_max come out low
    /// (6 % at a 90 fs response). Past 3 s the two differ by under 0.4 % of s.
    public static func effectiveDelay(_ u: Double, irfSigma s: Double) -> Double {
        guard u >= 0, s > 0, s.isFinite else { return u }
        let z = u / s
        let density = exp(-z * z / 2) / (2 * Double.pi).squareRoot(), share = 0.5 * erfc(-z / 2.0.squareRoot())
        return u + s * density / share
    }

    /// The 97.5 % point of Student's t (Cornish–Fisher expansion about the normal's 1.96; within
    /// 0.3 % from 3 degrees of freedom on).
    static func studentQuantile975(degreesOfFreedom k: Int) -> Double {
        let n = Double(max(k, 1)), z = 1.959964
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
