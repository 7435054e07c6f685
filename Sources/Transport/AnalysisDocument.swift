import Foundation

/// `analysis.json`, schema `femtofit-analysis/2` (README "analysis.json"): every number an
/// object {value, stderr, ci95: [lo, hi]}, absent ones null. A single series puts its block at the
/// top level; `series` always lists every (fluence, wavelength, spot) block.
public struct AnalysisDocument: Sendable, Encodable {
    public static let schema = "femtofit-analysis/2"

    public struct Block: Sendable, Encodable {
        public var key: FitsTable.SeriesKey
        public var analysis: TransportAnalysis
        /// Notes written before the block's own (the document's, when the block is hoisted).
        var leadingNotes: [String] = []
        /// The series' time zero on the acquired delays (fs) and what was added to its delays,
        /// when the fits came from a dataset (fits.json `series`); written as `time_zero_fs` and
        /// `delay_shift_fs`.
        public var timeZeroFs: Estimate?
        public var delayShiftFs: Double?

        public init(key: FitsTable.SeriesKey, analysis: TransportAnalysis) {
            self.key = key
            self.analysis = analysis
        }

        enum Keys: String, CodingKey {
            case fluence, wavelength_nm, spot, sigma0_nm, d_max_cm2_s, band_like, regimes, mobility_cm2_V_s, dots_crossed
            case frames_used, segments_by_bic, notes, time_zero_fs, delay_shift_fs
        }
        enum BandKeys: String, CodingKey { case present, length_nm, persistence_fs, alpha, reason }
        enum RegimeKeys: String, CodingKey { case kind, start_fs, end_fs, alpha, d_cm2_s }
        enum CandidateKeys: String, CodingKey { case segments, chi2, bic }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(key.fluence, forKey: .fluence)
            try c.encode(key.wavelengthNm, forKey: .wavelength_nm)
            try c.encode(key.spot, forKey: .spot)
            if let delayShiftFs {
                try c.encode(timeZeroFs, forKey: .time_zero_fs)
                try c.encode(delayShiftFs, forKey: .delay_shift_fs)
            }
            try c.encode(analysis.sigma0Nm, forKey: .sigma0_nm)
            try c.encode(analysis.dMax, forKey: .d_max_cm2_s)
            var band = c.nestedContainer(keyedBy: BandKeys.self, forKey: .band_like)
            try band.encode(analysis.bandLike.present, forKey: .present)
            try band.encode(analysis.bandLike.lengthNm, forKey: .length_nm)
            try band.encode(analysis.bandLike.persistenceFs, forKey: .persistence_fs)
            try band.encode(analysis.bandLike.alpha, forKey: .alpha)
            try band.encode(analysis.bandLike.reason, forKey: .reason)
            var regimes = c.nestedUnkeyedContainer(forKey: .regimes)
            for r in analysis.regimes {
                var rc = regimes.nestedContainer(keyedBy: RegimeKeys.self)
                try rc.encode(r.kind, forKey: .kind)
                try rc.encode(r.startFs, forKey: .start_fs)
                try rc.encode(r.endFs, forKey: .end_fs)
                try rc.encode(r.alpha, forKey: .alpha)
                try rc.encode(r.diffusivity, forKey: .d_cm2_s)
            }
            try c.encode(analysis.mobility, forKey: .mobility_cm2_V_s)
            try c.encode(analysis.dotsCrossed, forKey: .dots_crossed)
            try c.encode(analysis.points.count, forKey: .frames_used)
            var candidates = c.nestedUnkeyedContainer(forKey: .segments_by_bic)
            for candidate in analysis.segmentation?.candidates ?? [] {
                var cc = candidates.nestedContainer(keyedBy: CandidateKeys.self)
                try cc.encode(candidate.model.segmentCount, forKey: .segments)
                try cc.encode(candidate.chiSquare, forKey: .chi2)
                try cc.encode(candidate.bic, forKey: .bic)
            }
            try c.encode(leadingNotes + analysis.notes, forKey: .notes)
        }
    }

    public var femtofitVersion: String
    public var input: String
    public var temperatureK: Double
    public var dotPitchNm: Double?
    public var pixelSizeNm: Double?
    public var blocks: [Block]
    /// Energetic disorder per (fluence, spot) of a wavelength scan.
    public var disorder: [DisorderFromScan.Result] = []
    public var notes: [String]

    public init(femtofitVersion: String, input: String, settings: TransportAnalysis.Settings, pixelSizeNm: Double?,
                blocks: [Block], disorder: [DisorderFromScan.Result] = [], notes: [String]) {
        self.disorder = disorder
        self.femtofitVersion = femtofitVersion; self.input = input; temperatureK = settings.temperature
        dotPitchNm = settings.dotPitch; self.pixelSizeNm = pixelSizeNm; self.blocks = blocks; self.notes = notes
    }

    /// The model-selection and interval methods, stated in every document.
    public static let methods = [
        "growth": "sigma^2 regressed on ln t by weighted least squares (slope variance scaled by max(1, reduced chi^2)); transport is reported only when the slope's z > 3.09 (one-sided 0.1 %) and Kendall's rank trend agrees at 5 % (z > 1.645); otherwise no regimes and no band-like numbers",
        "regimes": "sigma_t^2 = sigma_0^2 + MSD(t), MSD a continuous broken power law of 1-4 segments fitted by weighted least squares; segment count by BIC = chi^2/phi + p ln n (phi = reduced chi^2 of the largest model, >= 1), a larger model taken only when it lowers BIC by > 6; each segment holds >= 3 frames",
        "band_like": "the first segment, when its alpha >= 1 or refitting with alpha_1 = 1 raises chi^2/phi by less than 3.84 (likelihood ratio against the free fit's optimum: alpha's 95 % interval reaches 1); sub_diffusive when the increase is 10.83 or more (alpha >= 1 rejected at 0.1 %); undetermined in between. The first regime's alpha error is the one the test used, (1 - alpha)/sqrt(increase)",
        "d_max": "MSD/2t of the band-like segment's model at its end (its maximum for alpha >= 1)",
        "intervals": "95 %: the wider of parametric bootstrap (200 replicates, 16-84 % spread of ln x) and delta method for D_max, band-like length and persistence; delta method from the covariance (scaled by reduced chi^2 when > 1) elsewhere; positive quantities on a log scale",
        "fluence_split": "k-th sub-diffusive regime across fluences: hopping when the alphas pass a chi^2 homogeneity test at 5 %, else auger_assisted when d alpha / d fluence > 1.96 se, else left sub_diffusive",
        "mobility": "Einstein: mu = D_max e / (k_B T)",
        "disorder": "bleach-peak energy per delay from the fitted amplitudes across >= 3 probe wavelengths (parabola on the energy axis), E(t) = E_0 + dE (1 - exp(-t/tau)) fitted unweighted, sigma_inh = sqrt(-2 k_B T dE)",
    ]

    enum Keys: String, CodingKey {
        case schema, femtofit_version, input, settings, methods, series, notes, disorder
        case fluence, wavelength_nm, spot, sigma0_nm, d_max_cm2_s, band_like, regimes, mobility_cm2_V_s, dots_crossed, frames_used, segments_by_bic
    }
    enum SettingsKeys: String, CodingKey { case temperature_k, dot_pitch_nm, pixel_size_nm }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(Self.schema, forKey: .schema)
        try c.encode(femtofitVersion, forKey: .femtofit_version)
        try c.encode(input, forKey: .input)
        var s = c.nestedContainer(keyedBy: SettingsKeys.self, forKey: .settings)
        try s.encode(temperatureK, forKey: .temperature_k)
        try s.encode(dotPitchNm, forKey: .dot_pitch_nm)
        try s.encode(pixelSizeNm, forKey: .pixel_size_nm)
        try c.encode(Self.methods, forKey: .methods)
        try c.encode(blocks, forKey: .series)
        try c.encode(disorder, forKey: .disorder)
        if blocks.count == 1 {
            // The block's keys at the top level; its notes join the document's under one key.
            var hoisted = blocks[0]
            hoisted.leadingNotes = notes
            try hoisted.encode(to: encoder)
        } else {
            try c.encode(notes, forKey: .notes)
        }
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

extension DisorderFromScan.Result: Encodable {
    enum Keys: String, CodingKey { case fluence, spot, sigma_inh_meV, shift_meV, tau_fs, initial_energy_ev, temperature_k, delays_fs, peak_energies_ev }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(key.fluence, forKey: .fluence)
        try c.encode(key.spot, forKey: .spot)
        try c.encode(disorder.sigmaInhMeV, forKey: .sigma_inh_meV)
        try c.encode(disorder.shiftMeV, forKey: .shift_meV)
        try c.encode(disorder.tauFs, forKey: .tau_fs)
        try c.encode(disorder.initialEnergy, forKey: .initial_energy_ev)
        try c.encode(disorder.temperature, forKey: .temperature_k)
        try c.encode(delays, forKey: .delays_fs)
        try c.encode(peakEnergiesEV, forKey: .peak_energies_ev)
    }
}

extension Estimate {
    enum Keys: String, CodingKey { case value, stderr, ci95 }
    /// Non-finite numbers are written as null (JSON has no NaN); so are a negative error and,
    /// without a usable error, the interval.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }
        let error = stderr.isFinite && stderr >= 0 && value.isFinite ? stderr : nil
        try c.encode(finite(value), forKey: .value)
        try c.encode(error, forKey: .stderr)
        if error != nil && ci95.count == 2 && ci95.allSatisfy(\.isFinite) { try c.encode(ci95, forKey: .ci95) } else { try c.encodeNil(forKey: .ci95) }
    }
}
