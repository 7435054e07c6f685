import FitCore
import Foundation

/// A transient-absorption measurement as a broadband probe records it (issue 17): one trace per
/// probe wavelength over one delay axis, in mOD, with
/// - the chirp: each trace's time zero a quadratic in wavenumber, about 2.5 ps across the band;
/// - a Gaussian instrument response of about 120 fs FWHM (sigma about 51 fs), a typical TA setup's;
/// - three lifetimes (about 0.12, 1.1 and 11 ps) and a long-lived component (a step that does not
///   decay in the window), each with its decay-associated spectrum (DAS): bands in wavenumber, a
///   bleach and an induced absorption;
/// - the coherent artefact at each trace's time zero (the response Gaussian and its first and
///   second derivatives, amplitudes varying across the band);
/// - Gaussian noise, the largest |signal| 100 times its sigma (20 mOD against 0.2 mOD).
///
/// The delays are 409 from -3 ps to 48 ps: sparse before the chirp's range, 20 fs steps through it,
/// then log-spaced. Everything random comes from the seed.
public struct TransientAbsorptionSimulation: Sendable {
    /// What the simulation was made from.
    public struct Truth: Sendable {
        /// The three finite lifetimes, fs, ascending (the long-lived component is a step).
        public var lifetimes: [Double]
        /// The instrument response's Gaussian sigma, fs.
        public var irfSigma: Double
        /// Time zero per wavelength: chirp[0] + chirp[1] x + chirp[2] x^2 with
        /// x = (wavenumber - referenceWavenumber) / 1000 cm^-1.
        public var chirp: [Double]
        public var referenceWavenumber: Double
        /// Per wavelength: each finite lifetime's DAS value, then the long-lived one (mOD), and the
        /// artefact's three amplitudes (mOD).
        public var das: [[Double]]
        public var artifact: [[Double]]
        /// Each trace's time zero, fs.
        public var timeZeros: [Double]
    }

    public let wavelengths: [Double]
    public let delays: [Double]
    /// wavelengths.count x delays.count values, trace-major, mOD.
    public let traces: [Float]
    /// The noiseless traces, the same layout.
    public let noiseless: [Double]
    public let noiseSigma: Double
    public let truth: Truth

    /// The long-lived component's lifetime in the simulation, fs: a step over the window.
    public static let longLived = 1e12

    /// The wavenumber (cm^-1) of a wavelength in nm.
    public static func wavenumber(nm: Double) -> Double { 1e7 / nm }

    /// 409 delays, fs: -3000 to -1600 every 200, -1500 to 2500 every 20, then log-spaced to 48 000.
    public static func delayAxis() -> [Double] {
        var d = stride(from: -3000.0, through: -1600, by: 200).map { $0 }
        d += stride(from: -1500.0, through: 2500, by: 20).map { $0 }
        let ratio = pow(48_000.0 / 2500, 1.0 / 200)
        for k in 1...200 { d.append(2500 * pow(ratio, Double(k))) }
        return d
    }

    public init(seed: UInt64, wavelengthCount: Int = 800, firstNM: Double = 420, lastNM: Double = 750,
                peakSignal: Double = 20, snr: Double = 100) {
        var r = SeededRandom(seed: seed)
        let delays = Self.delayAxis()
        let wavelengths = (0..<wavelengthCount).map {
            wavelengthCount == 1 ? firstNM : firstNM + (lastNM - firstNM) * Double($0) / Double(wavelengthCount - 1)
        }
        let lifetimes = [120.0, 1100, 11_000].map { $0 * r.uniform(0.9...1.1) }
        let irf = 120 / (8 * log(2.0)).squareRoot() * r.uniform(0.9...1.1)
        let reference = 0.5 * (Self.wavenumber(nm: firstNM) + Self.wavenumber(nm: lastNM))
        // About 2.5 ps from the blue end (latest) to the red.
        let chirp = [r.uniform(-100...100), 240 * r.uniform(0.9...1.1), 12 * r.uniform(0.8...1.2)]
        // Bands in wavenumber (kcm^-1): (centre, width, height) per component, a bleach and an
        // induced absorption each, moved and scaled a little per seed.
        let bands: [[(Double, Double, Double)]] = [
            [(19.0, 1.2, -6), (15.5, 1.5, 8)],
            [(20.5, 1.5, -10), (16.0, 2.0, 7)],
            [(19.5, 1.8, -12), (14.5, 1.5, 6)],
            [(19.5, 2.0, -5), (15.0, 2.0, 3)],
        ].map { component in component.map { ($0.0 + r.uniform(-0.3...0.3), $0.1, $0.2 * r.uniform(0.8...1.2)) } }
        let phase = r.uniform(0...(2 * Double.pi))
        var das: [[Double]] = [], artifact: [[Double]] = [], timeZeros: [Double] = []
        var noiseless = [Double](repeating: 0, count: wavelengthCount * delays.count)
        let model = ModelID.kinetics4Artifact
        for (i, nm) in wavelengths.enumerated() {
            let nu = Self.wavenumber(nm: nm) / 1000
            let x = (Self.wavenumber(nm: nm) - reference) / 1000
            let spectrum = bands.map { component in
                component.reduce(0.0) { $0 + $1.2 * exp(-(nu - $1.0) * (nu - $1.0) / (2 * $1.1 * $1.1)) }
            }
            let c = [3 * cos(2 * Double.pi * x / 4 + phase), 2 * sin(2 * Double.pi * x / 4 + phase),
                     1.5 * cos(2 * Double.pi * x / 3 - phase)]
            let t0 = chirp[0] + chirp[1] * x + chirp[2] * x * x
            das.append(spectrum); artifact.append(c); timeZeros.append(t0)
            var p: [Double] = []
            for k in 0..<3 { p += [spectrum[k], lifetimes[k]] }
            p += [spectrum[3], Self.longLived, t0, irf, 0] + c
            let values = (try? ModelEvaluation.evaluate(model, parameters: p, coordinates: .sharedX(delays), pointCount: delays.count).values) ?? []
            for k in 0..<values.count { noiseless[i * delays.count + k] = values[k] }
        }
        // Scale so the largest |signal| is peakSignal, and the noise to it.
        let largest = noiseless.map(abs).max() ?? 1
        let scale = largest > 0 ? peakSignal / largest : 1
        for k in noiseless.indices { noiseless[k] *= scale }
        das = das.map { $0.map { $0 * scale } }
        artifact = artifact.map { $0.map { $0 * scale } }
        let sigma = peakSignal / snr
        self.wavelengths = wavelengths
        self.delays = delays
        self.noiseless = noiseless
        self.traces = noiseless.map { Float($0 + sigma * r.normal()) }
        noiseSigma = sigma
        truth = Truth(lifetimes: lifetimes, irfSigma: irf, chirp: chirp, referenceWavenumber: reference,
                      das: das, artifact: artifact, timeZeros: timeZeros)
    }

    /// One trace's values.
    public func trace(_ i: Int) -> ArraySlice<Float> { traces[i * delays.count ..< (i + 1) * delays.count] }
}
