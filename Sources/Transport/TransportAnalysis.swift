#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The transport physics of one series (one fluence, wavelength and spot) from its fitted spot
/// widths (docs/reference.md §2): MSD(t) = sigma_t^2 - sigma_0^2, D(t) = MSD / 2t, L(t) = sqrt(MSD), the
/// local exponent d ln MSD / d ln t, the regimes (`RegimeSegmentation`), and from the band-like
/// regime's fitted model D_max, its persistence, its length, the mobility and the dots crossed.
///
/// Every uncertainty comes from the fits' standard errors. sigma_0^2 is a parameter of the regime
/// fit, so its error, shared by every MSD point, enters each number through the covariance; the
/// per-point MSD errors include it too, and the local exponent, a difference of logarithms, keeps
/// only what does not cancel between its two frames.
///
/// Frames before time zero hold no spot and are left out, as are frames whose fit failed; fitted
/// frames without a usable delay or width are left out and named in the notes. A series whose
/// sigma^2 does not grow significantly (`GrowthTest`) gets no regimes and no transport numbers.
public struct TransportAnalysis: Sendable {
    public struct Settings: Sendable, Equatable, Codable {
        /// Kelvin, for the mobility (Einstein) and the disorder.
        public var temperature: Double = 300
        /// Dot pitch in nm, for the number of dots crossed (nil: not reported).
        public var dotPitch: Double?
        public init(temperature: Double = 300, dotPitch: Double? = nil) {
            self.temperature = temperature; self.dotPitch = dotPitch
        }
    }

    /// One frame's numbers.
    public struct Point: Sendable, Equatable, Codable {
        public var delayFs: Double
        public var sigmaNm: Double
        public var sigmaErrorNm: Double
        public var msdNm2: Estimate
        /// MSD / 2t in cm^2/s.
        public var diffusivity: Estimate
        /// sqrt(MSD) in nm (NaN where the MSD is negative).
        public var lengthNm: Estimate
        /// d ln MSD / d ln t from the neighbouring frames (NaN at the ends).
        public var localExponent: Estimate
    }

    public enum Kind: String, Sendable, Codable {
        case bandLike = "band_like"
        case subDiffusive = "sub_diffusive"
        case augerAssisted = "auger_assisted"
        case hopping
        /// A later segment with alpha >= 1: none of the paper's kinds (the notes say why).
        case unclassified
        /// A first segment whose alpha's 95 % interval does not reach 1 while alpha >= 1 is not
        /// rejected at 0.1 %: the data support neither band-like nor sub-diffusive growth.
        case undetermined
    }

    public struct Regime: Sendable, Equatable, Codable {
        public var kind: Kind
        public var startFs: Estimate
        public var endFs: Estimate
        public var alpha: Estimate
        /// MSD/2t of the fitted model at the regime's geometric-mean time, cm^2/s.
        public var diffusivity: Estimate
    }

    public struct BandLike: Sendable, Equatable, Codable {
        public var present: Bool
        public var lengthNm: Estimate?
        public var persistenceFs: Estimate?
        public var alpha: Estimate?
        /// Why it is absent, when it is.
        public var reason: String?
    }

    public var settings: Settings
    public var sigma0Nm: Estimate
    public var points: [Point]
    public var regimes: [Regime]
    public var bandLike: BandLike
    /// cm^2/s; nil without a band-like regime.
    public var dMax: Estimate?
    /// cm^2/(V s), Einstein's relation from D_max.
    public var mobility: Estimate?
    public var dotsCrossed: Estimate?
    /// The regime models fitted to sigma^2 (nil for a series without growth).
    public var segmentation: RegimeSegmentation?
    /// Whether sigma^2 grows at all (`GrowthTest`); without growth nothing else is reported.
    public var growth: GrowthTest
    public var notes: [String] = []

    /// kB T / e in volts at `temperature`.
    public static func thermalVoltage(_ temperature: Double) -> Double { 8.617333262e-5 * temperature }

    /// `sigmas` and `errors` in nm, `delays` in fs; frames with `valid` false are left out.
    public init(delays: [Double], sigmas: [Double], errors: [Double], valid: [Bool], settings: Settings = Settings()) throws {
        precondition(delays.count == sigmas.count && sigmas.count == errors.count && errors.count == valid.count)
        guard settings.temperature > 0, settings.temperature.isFinite else {
            throw TransportError.badSetting("temperature \(settings.temperature) K: give a positive temperature in kelvin")
        }
        if let pitch = settings.dotPitch, !(pitch > 0 && pitch.isFinite) {
            throw TransportError.badSetting("dot pitch \(pitch) nm: give a positive pitch in nm")
        }
        self.settings = settings
        // Frames before time zero hold no spot and failed fits no width: both are expected. A
        // fitted frame with a delay or width that is not a usable number is not, and is named.
        var unusable: [String] = []
        let usable = delays.indices.filter { i in
            guard valid[i], !(delays[i] < 0) else { return false }
            guard delays[i].isFinite, sigmas[i].isFinite, sigmas[i] > 0, errors[i].isFinite, errors[i] > 0 else {
                unusable.append(delays[i].isFinite ? "\(delays[i]) fs" : "frame \(i + 1) (its delay is not a number)")
                return false
            }
            return true
        }.sorted { delays[$0] < delays[$1] }
        let t = usable.map { delays[$0] }
        let s2 = usable.map { sigmas[$0] * sigmas[$0] }
        let s2Error = usable.map { 2 * sigmas[$0] * errors[$0] }
        if !unusable.isEmpty {
            notes.append("\(unusable.count) fitted frame(s) left out for a delay, width or width error that is not a positive finite number: \(unusable.prefix(10).joined(separator: ", "))\(unusable.count > 10 ? ", ..." : "")")
        }
        let afterZero = t.indices.filter { t[$0] > 0 }
        growth = GrowthTest(delays: afterZero.map { t[$0] }, sigmaSquared: afterZero.map { s2[$0] }, sigmaSquaredError: afterZero.map { s2Error[$0] })
        try RegimeSegmentation.requireFrames(afterZero.count)
        // Without growth the regime models would describe noise (and often cannot be fitted at
        // all): none is fitted, and sigma_0^2 is the weighted mean of sigma^2.
        let s0: Double, s0Variance: Double
        if growth.verdict == .grows {
            let made = try RegimeSegmentation(delays: t, sigmaSquared: s2, sigmaSquaredError: s2Error)
            segmentation = made
            s0 = made.chosen.parameters[0]
            s0Variance = made.chosen.covariance[0][0]
        } else {
            segmentation = nil
            (s0, s0Variance) = Self.weightedMean(afterZero.map { s2[$0] }, errors: afterZero.map { s2Error[$0] })
        }
        sigma0Nm = .positive(s0.squareRoot(), stderr: s0Variance.squareRoot() / (2 * s0.squareRoot()))

        // Per-frame numbers, with the shared sigma_0^2 error in each MSD.
        var points: [Point] = []
        for (i, index) in usable.enumerated() {
            let msd = s2[i] - s0, msdError = (s2Error[i] * s2Error[i] + s0Variance).squareRoot()
            let time = t[i]
            let d = time > 0 ? Estimate.symmetric(msd / (2 * time) * 10, stderr: msdError / (2 * time) * 10)
                : Estimate.symmetric(.nan, stderr: .nan)
            let length = msd > 0 ? Estimate.positive(msd.squareRoot(), stderr: msdError / (2 * msd.squareRoot()))
                : Estimate.symmetric(.nan, stderr: .nan)
            points.append(Point(delayFs: time, sigmaNm: sigmas[index], sigmaErrorNm: errors[index], msdNm2: .symmetric(msd, stderr: msdError),
                                diffusivity: d, lengthNm: length, localExponent: .symmetric(.nan, stderr: .nan)))
        }
        for i in points.indices.dropFirst().dropLast() where t[i - 1] > 0 {
            let before = points[i - 1].msdNm2.value, after = points[i + 1].msdNm2.value
            guard before > 0, after > 0 else { continue }
            let dl = log(t[i + 1] / t[i - 1])
            let v = (s2Error[i + 1] * s2Error[i + 1]) / (after * after) + (s2Error[i - 1] * s2Error[i - 1]) / (before * before)
                + pow(1 / before - 1 / after, 2) * s0Variance
            points[i].localExponent = .symmetric(log(after / before) / dl, stderr: v.squareRoot() / dl)
        }
        self.points = points

        guard growth.verdict == .grows else {
            // No transport to describe: no regimes, no band-like numbers, and the reason.
            regimes = []
            bandLikeTest = BandLikeTest(chiSquareIncrease: .nan)
            bandLike = BandLike(present: false, lengthNm: nil, persistenceFs: nil, alpha: nil, reason: growth.description)
            notes.append("no transport reported: " + growth.description)
            return
        }

        guard var segmentation else { preconditionFailure("growth without a segmentation") }
        // Every number, and the band-like test, come from the free fit's optimum: when fixing
        // alpha_1 = 1 fits better than the free fit did, that fit stopped short, and it is refitted.
        segmentation.chosen = Self.freeOptimum(segmentation.chosen, t, s2, s2Error, pointCount: segmentation.pointCount, phi: segmentation.overdispersion)
        self.segmentation = segmentation
        let fit = segmentation.chosen, model = fit.model, p = fit.parameters, cov = fit.covariance
        func estimate(_ f: ([Double]) -> Double, positive: Bool) -> Estimate {
            let se = Propagation.standardError(of: f, at: p, covariance: cov)
            return positive ? .positive(f(p), stderr: se) : .symmetric(f(p), stderr: se)
        }

        // Regimes: spans between the first frame after time zero, the breaks and the last frame.
        let first = t.first { $0 > 0 }!, last = t.last!
        let k = model.segmentCount
        func edge(_ j: Int) -> ([Double]) -> Double {
            if j == 0 { return { _ in first } }
            if j == k { return { _ in last } }
            return { model.breakTime($0, j - 1) }
        }
        let bandLikeTest = Self.bandLikeTest(fit, t, s2, s2Error, phi: segmentation.overdispersion)
        var regimes: [Regime] = []
        for j in 0..<k {
            let start = edge(j), end = edge(j + 1)
            let meanTime: ([Double]) -> Double = { (start($0) * end($0)).squareRoot() }
            let alpha = estimate({ model.alpha($0, segment: j) }, positive: false)
            let kind: Kind
            if j == 0 {
                switch bandLikeTest.verdict {
                case .supported: kind = .bandLike
                case .undetermined: kind = .undetermined
                case .rejected: kind = .subDiffusive
                }
            } else {
                kind = alpha.value < 1 ? .subDiffusive : .unclassified
            }
            regimes.append(Regime(kind: kind, startFs: estimate(start, positive: true), endFs: estimate(end, positive: true),
                                  alpha: j == 0 ? bandLikeTest.alpha(shown: alpha) : alpha,
                                  diffusivity: estimate({ model.msd($0, at: meanTime($0)) / (2 * meanTime($0)) * 10 }, positive: true)))
        }
        self.regimes = regimes
        self.bandLikeTest = bandLikeTest
        if regimes.contains(where: { $0.kind == .unclassified }) {
            notes.append("a segment after the first grows with alpha >= 1 (super-diffusive at late times): none of band-like, sub-diffusive or hopping; check the late frames' fits")
        }

        // The band-like regime and what follows from its model.
        if regimes[0].kind == .bandLike {
            let end = edge(1)
            // With alpha >= 1, MSD/2t of the model rises through the regime, so its maximum is at the
            // regime's end. A fitted alpha just below 1 (its interval reaching 1) means D is flat
            // within errors: it is still read at the end, where the most frames pin the model,
            // never extrapolated to the earliest frame, where a small slope error swings it widely.
            let dMaxOf: ([Double]) -> Double = { q in model.msd(q, at: end(q)) / (2 * end(q)) * 10 }
            let lengthOf: ([Double]) -> Double = { q in model.msd(q, at: end(q)).squareRoot() }
            let bootstrap = ParametricBootstrap(fit, delays: t, sigmaSquaredError: s2Error, seed: Self.seed(t, s2))
            // The wider of the bootstrap's and the delta method's errors and intervals: each
            // undercovers where the other does not (the bootstrap when the fit's corner is sharper
            // than the truth's). The interval stays symmetric on the log scale.
            func wider(_ f: @escaping ([Double]) -> Double) -> Estimate {
                let delta = estimate(f, positive: true)
                guard let boot = bootstrap.logSpread(f, at: p), delta.value > 0, delta.isUsable || boot.halfWidth > 0 else { return delta }
                // A delta error that is not a number (a singular covariance) leaves the bootstrap's.
                let deltaHalfWidth = delta.isUsable ? log(delta.ci95[1] / delta.value) : 0
                let deltaError = delta.isUsable ? delta.stderr : 0
                let halfWidth = max(boot.halfWidth, deltaHalfWidth), f95 = exp(halfWidth)
                return Estimate(value: delta.value, stderr: max(deltaError, delta.value * boot.stderr),
                                ci95: [delta.value / f95, delta.value * f95])
            }
            let dMax = wider(dMaxOf)
            let length = wider(lengthOf)
            // With one segment the growth lasts to the last frame: the persistence is a bound
            // (that frame's delay), not a measurement, so it carries no error or interval.
            let persistence = k == 1 ? Estimate(value: last, stderr: .nan, ci95: [.nan, .nan]) : wider({ model.breakTime($0, 0) })
            regimes[0].endFs = persistence
            if regimes.count > 1 { regimes[1].startFs = persistence }
            self.regimes = regimes
            self.dMax = dMax
            bandLike = BandLike(present: true, lengthNm: length, persistenceFs: persistence, alpha: regimes[0].alpha, reason: nil)
            mobility = dMax.scaled(by: 1 / Self.thermalVoltage(settings.temperature))
            if let pitch = settings.dotPitch { dotsCrossed = length.scaled(by: 1 / pitch) }
            if k == 1 { notes.append("band-like growth lasts to the last frame: its persistence and length are lower bounds") }
            dropUnestimable()
        } else {
            let reason: String
            let statistic = "\(bandLikeTest.wald ? "Wald" : "likelihood-ratio") chi^2 \((bandLikeTest.chiSquareIncrease * 100).rounded() / 100)"
            if regimes[0].kind == .undetermined {
                reason = "the earliest regime is undetermined (alpha \(Self.format(regimes[0].alpha))): its 95 % interval does not reach 1, "
                    + "yet alpha >= 1 is not rejected at 0.1 % (\(statistic), between 3.84 and 10.83); neither band-like nor sub-diffusive growth is supported at this noise"
            } else if k == 1 {
                reason = "the data support a single power law (alpha \(Self.format(regimes[0].alpha))): no break into a band-like regime is supported at this noise (BIC)"
            } else {
                reason = "the earliest regime is sub-diffusive (alpha \(Self.format(regimes[0].alpha)); alpha >= 1 rejected at 0.1 %: \(statistic) > 10.83)"
            }
            bandLike = BandLike(present: false, lengthNm: nil, persistenceFs: nil, alpha: nil, reason: reason)
            notes.append("no band-like regime reported: " + reason)
        }
    }

    /// Derived numbers whose error or interval came out non-finite, negative or absurd (an error
    /// over a thousand times the value) are not estimates: each becomes null, with a note.
    mutating func dropUnestimable() {
        func check(_ name: String, _ e: Estimate?) -> Estimate? {
            guard let e else { return nil }
            if e.isUsable { return e }
            notes.append("\(name) could not be estimated (value \(e.value), standard error \(e.stderr)): reported as null")
            return nil
        }
        dMax = check("D_max", dMax)
        mobility = dMax == nil ? nil : check("the mobility", mobility)
        bandLike.lengthNm = check("the band-like length", bandLike.lengthNm)
        dotsCrossed = bandLike.lengthNm == nil ? nil : check("the dots crossed", dotsCrossed)
        bandLike.alpha = check("the band-like alpha", bandLike.alpha)
        if let persistence = bandLike.persistenceFs, !persistence.stderr.isNaN || !persistence.value.isFinite {
            bandLike.persistenceFs = check("the band-like persistence", persistence)
        }
    }

    /// The first segment's label follows a test of alpha_1 = 1: refitting with alpha_1 held at 1
    /// raises chi^2 (over the overdispersion) by `chiSquareIncrease` (a likelihood-ratio statistic,
    /// which stays honest where sigma_0^2 and alpha_1 trade off and Wald intervals do not).
    /// - `band_like` needs positive support: alpha >= 1, or an increase below 3.84, so that alpha's
    ///   95 % interval from the same statistic reaches 1. Band-like growth sits on the boundary
    ///   alpha = 1, where the statistic is 0 half the time and chi^2(1) otherwise, so a truly
    ///   band-like regime is left undetermined in about 2.5 % of series: the price of not reading
    ///   "not rejected" as "band-like".
    /// - `sub_diffusive` when alpha >= 1 is rejected at 0.1 % (an increase of 10.83 or more), so a
    ///   band-like start is almost never called sub-diffusive; a truly sub-diffusive start (alpha
    ///   0.6) is rejected by a wide margin.
    /// - `undetermined` in between, with the reason.
    public static let bandLikeRejection = 10.83
    /// chi^2(1)'s 95 % point: alpha's 95 % interval reaches 1 when the increase is below it.
    public static let bandLikeSupport = 3.841458820694124
    public struct BandLikeTest: Sendable, Equatable, Codable {
        public enum Verdict: String, Sendable, Codable { case supported, undetermined, rejected }
        /// The likelihood-ratio statistic (or, when the constrained refit failed, Wald's).
        public var chiSquareIncrease: Double
        public var wald = false
        /// chi^2 of the fit with alpha_1 held at 1 (nil when alpha_1 >= 1 or it could not be made).
        public var constrainedChiSquare: Double?
        /// alpha_1 of the free fit the statistic compares with.
        public var alpha: Double = .nan

        public var verdict: Verdict {
            if chiSquareIncrease < TransportAnalysis.bandLikeSupport { return .supported }
            return chiSquareIncrease < TransportAnalysis.bandLikeRejection ? .undetermined : .rejected
        }
        /// Whether band-like growth has positive support.
        public var supported: Bool { verdict == .supported }

        /// alpha_1 with the error the test used: for alpha < 1, the standard error that makes
        /// ((1 - alpha)/se)^2 equal the statistic, and the 95 % interval alpha +- 1.96 se, which
        /// reaches 1 exactly when the label is band-like. For alpha >= 1 no test was needed and
        /// `delta` (the covariance's error) is shown.
        public func alpha(shown delta: Estimate) -> Estimate {
            guard alpha < 1, chiSquareIncrease > 0, chiSquareIncrease.isFinite else { return delta }
            return .symmetric(alpha, stderr: (1 - alpha) / chiSquareIncrease.squareRoot())
        }
    }
    public var bandLikeTest: BandLikeTest

    static func bandLikeTest(_ fit: RegimeSegmentation.Candidate, _ t: [Double], _ y: [Double], _ e: [Double], phi: Double) -> BandLikeTest {
        let alpha = fit.model.alpha(fit.parameters, segment: 0)
        if alpha >= 1 { return BandLikeTest(chiSquareIncrease: 0, alpha: alpha) }
        guard let constrained = constrainedFit(fit, t, y, e) else {
            // No refit with alpha_1 = 1 could be made: the Wald statistic stands in for the test.
            let se = fit.covariance[2][2].squareRoot()
            let wald = se > 0 ? pow((1 - alpha) / se, 2) : .infinity
            return BandLikeTest(chiSquareIncrease: wald, wald: true, alpha: alpha)
        }
        // `fit` is the free optimum (`freeOptimum`), so the increase is not negative but for rounding.
        let increase = max(0, constrained.chiSquare - fit.chiSquare) / phi
        return BandLikeTest(chiSquareIncrease: increase, constrainedChiSquare: constrained.chiSquare, alpha: alpha)
    }

    /// The best fit of `fit`'s model with alpha_1 held at 1, or nil when none could be made.
    static func constrainedFit(_ fit: RegimeSegmentation.Candidate, _ t: [Double], _ y: [Double], _ e: [Double]) -> CurveFit.Result? {
        let alpha = fit.model.alpha(fit.parameters, segment: 0)
        // Start with alpha_1 = 1 and the level moved so that the MSD at the first break (and so every
        // later segment) stays where the free fit put it.
        var start = fit.parameters
        start[2] = 1
        if fit.model.segmentCount > 1 {
            start[1] += (alpha - 1) * (start[2 + fit.model.segmentCount] - log(BrokenPowerLaw.referenceTime))
        }
        let positive = t.filter { $0 > 0 }
        var starts = [start]
        if fit.model.segmentCount > 1 {
            // Also with the first break moved a frame-spacing either way.
            for factor in [0.8, 1.25] {
                var moved = start
                moved[2 + fit.model.segmentCount] += log(factor)
                starts.append(moved)
            }
        }
        let refits = starts.compactMap { RegimeSegmentation.fit(fit.model, t, y, e, start: $0, positive: positive, fixing: 2) }
        return refits.min(by: { $0.chiSquare < $1.chiSquare })
    }

    /// `fit`, or the free fit of its model started from the alpha_1 = 1 fit when that one has the
    /// lower chi^2: a free fit can stop in a local minimum (a short, noisy series can put alpha_1
    /// below zero), and a test of alpha_1 >= 1 against it would compare with the wrong optimum.
    /// Repeated until the alpha_1 = 1 fit made from the free fit no longer beats it: a refitted
    /// free fit gives the constrained fit new starts, which can find a lower constrained optimum
    /// again (seed 928028665018494002).
    static func freeOptimum(_ fit: RegimeSegmentation.Candidate, _ t: [Double], _ y: [Double], _ e: [Double],
                            pointCount n: Int, phi: Double) -> RegimeSegmentation.Candidate {
        var current = fit
        for _ in 0..<maximumFreeRefits {
            guard let better = freeRefit(current, t, y, e, pointCount: n, phi: phi) else { return current }
            current = better
        }
        return current
    }

    /// At most this many rounds of `freeOptimum`; each lowers chi^2, and two are rare.
    static let maximumFreeRefits = 8

    /// One round of `freeOptimum`: the free fit from the alpha_1 = 1 fit's optimum, or nil when
    /// that optimum does not beat `fit` (or no better free point could be made).
    static func freeRefit(_ fit: RegimeSegmentation.Candidate, _ t: [Double], _ y: [Double], _ e: [Double],
                          pointCount n: Int, phi: Double) -> RegimeSegmentation.Candidate? {
        guard fit.model.alpha(fit.parameters, segment: 0) < 1, let constrained = constrainedFit(fit, t, y, e),
              constrained.chiSquare < fit.chiSquare - 1e-9 * max(1, fit.chiSquare) else { return nil }
        let positive = t.filter { $0 > 0 }
        // When the free refit cannot keep every segment populated, the alpha_1 = 1 fit itself is
        // the best valid point found: it is taken with the free model's covariance there.
        guard let best = RegimeSegmentation.fit(fit.model, t, y, e, start: constrained.parameters, positive: positive)
                ?? RegimeSegmentation.fit(fit.model, t, y, e, start: constrained.parameters, positive: positive, maxIterations: 0),
              best.chiSquare < fit.chiSquare else { return nil }
        let scale = max(1, best.chiSquare / Double(max(best.degreesOfFreedom, 1)))
        return RegimeSegmentation.Candidate(model: fit.model, parameters: best.parameters, covariance: best.covariance.map { $0.map { $0 * scale } },
                                            chiSquare: best.chiSquare, bic: best.chiSquare / phi + Double(best.parameters.count) * log(Double(n)))
    }

    /// A seed for the bootstrap from the data themselves.
    static func seed(_ t: [Double], _ y: [Double]) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for v in t + y { h = (h ^ v.bitPattern) &* 0x100000001b3 }
        return h
    }

    static func format(_ e: Estimate) -> String { e.printed(digits: 3) }

    /// The fitted MSD model at `t`, nm^2 (for plots); nil for a series without transport.
    public func modelMSD(at t: Double) -> Double? {
        guard growth.verdict == .grows, let chosen = segmentation?.chosen else { return nil }
        return chosen.model.msd(chosen.parameters, at: t)
    }

    /// The weighted mean of `values` and its variance (scaled by the reduced chi^2 when over 1).
    static func weightedMean(_ values: [Double], errors: [Double]) -> (mean: Double, variance: Double) {
        var sw = 0.0, swy = 0.0
        for (y, e) in zip(values, errors) { sw += 1 / (e * e); swy += y / (e * e) }
        let mean = swy / sw
        var chi2 = 0.0
        for (y, e) in zip(values, errors) { chi2 += (y - mean) * (y - mean) / (e * e) }
        return (mean, max(1, chi2 / Double(max(values.count - 1, 1))) / sw)
    }
}
