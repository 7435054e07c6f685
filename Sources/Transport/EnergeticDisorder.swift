#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Energetic disorder from the bleach peak's red shift as carriers thermalise (docs/reference.md §2):
/// the peak energy is fitted with E(t) = E_0 + dE (1 - exp(-t / tau)), the final shift dE read
/// off, and sigma_inh = sqrt(-2 k_B T dE). A blue shift (dE > 0) has no disorder reading and is
/// refused with the fitted shift named.
public struct EnergeticDisorder: Sendable, Codable {
    /// eV.
    public var initialEnergy: Estimate
    /// Final shift dE, meV (negative: a red shift).
    public var shiftMeV: Estimate
    /// Thermalisation time, fs.
    public var tauFs: Estimate
    /// sigma_inh, meV.
    public var sigmaInhMeV: Estimate
    public var temperature: Double

    /// Boltzmann's constant in eV/K.
    public static let boltzmann = 8.617333262e-5

    /// `delays` in fs (after time zero), `energies` in eV, `errors` in eV (nil: unweighted, the
    /// errors then taken from the scatter about the fit).
    public init(delays: [Double], energies: [Double], errors: [Double]? = nil, temperature: Double = 300) throws {
        precondition(delays.count == energies.count && (errors?.count ?? delays.count) == delays.count)
        let keep = delays.indices.filter { delays[$0] >= 0 && delays[$0].isFinite && energies[$0].isFinite && (errors?[$0] ?? 1) > 0 }
            .sorted { delays[$0] < delays[$1] }
        guard keep.count >= 4 else {
            throw TransportError.notEnoughFrames("the disorder fit needs bleach-peak energies at 4 or more delays after time zero; found \(keep.count)")
        }
        guard temperature > 0, temperature.isFinite else { throw TransportError.badSetting("temperature \(temperature) K: give a positive temperature") }
        let t = keep.map { delays[$0] }, e = keep.map { energies[$0] }
        let sigma = errors.map { err in keep.map { err[$0] } } ?? [Double](repeating: 1, count: keep.count)
        let late = e.suffix(max(1, e.count / 4)).reduce(0, +) / Double(max(1, e.count / 4))
        let halfway = e.first! + (late - e.first!) / 2
        let tauGuess = t[e.firstIndex { abs($0 - e.first!) >= abs(halfway - e.first!) } ?? t.count / 2]
        let model: ([Double], Double) -> Double = { p, x in p[0] + p[1] * (1 - exp(-x / p[2])) }
        let positive = t.filter { $0 > 0 }
        let lower = [-Double.infinity, -Double.infinity, max(positive.min() ?? 1, 1) / 10]
        let upper = [Double.infinity, Double.infinity, (t.max()! - t.min()!) * 10 + 1]
        guard var fit = CurveFit.fit(x: t, y: e, sigma: sigma, start: [e.first!, late - e.first!, max(tauGuess, lower[2])],
                                     lower: lower, upper: upper, model: model) else {
            throw TransportError.badInput("the bleach-peak energies do not constrain an exponential shift (flat, or too few delays across it)")
        }
        // Unweighted: scale by the residual variance; weighted: by the reduced chi^2 when above 1.
        let reduced = fit.chiSquare / Double(max(fit.degreesOfFreedom, 1))
        let scale = errors == nil ? reduced : max(1, reduced)
        fit.covariance = fit.covariance.map { $0.map { $0 * scale } }
        let p = fit.parameters, cov = fit.covariance
        guard p[1] < 0 else {
            throw TransportError.badInput("the bleach peak shifts to the blue (dE = +\(p[1] * 1000) meV): no energetic-disorder reading; check the sign and the wavelength axis")
        }
        self.temperature = temperature
        let se = (0..<3).map { cov[$0][$0].squareRoot() }
        initialEnergy = .symmetric(p[0], stderr: se[0])
        shiftMeV = .symmetric(p[1] * 1000, stderr: se[1] * 1000)
        tauFs = .positive(p[2], stderr: se[2])
        let kT = Self.boltzmann * temperature
        let sigmaInh = (-2 * kT * p[1]).squareRoot()
        // d sigma / d dE = -kT / sigma.
        sigmaInhMeV = .positive(sigmaInh * 1000, stderr: kT / sigmaInh * se[1] * 1000)
    }
}

/// The bleach peak's energy from a probe-wavelength scan: for each delay, the wavelength whose
/// signal is largest, refined by a parabola through it and its neighbours on the energy axis
/// (E = 1239.84198 eV nm / lambda). nil at a delay whose largest signal is at the scan's edge (the
/// peak is outside the scan) or is not positive.
public enum BleachPeak {
    public static let electronVoltNanometres = 1239.84198

    public static func energy(wavelengthsNm: [Double], signal: [Double]) -> Double? {
        precondition(wavelengthsNm.count == signal.count)
        let order = wavelengthsNm.indices.sorted { wavelengthsNm[$0] > wavelengthsNm[$1] }  // rising energy
        let x = order.map { electronVoltNanometres / wavelengthsNm[$0] }, y = order.map { signal[$0] }
        guard x.count >= 3, let top = y.indices.filter({ y[$0].isFinite }).max(by: { y[$0] < y[$1] }), y[top] > 0,
              top > 0, top < x.count - 1, y[top - 1].isFinite, y[top + 1].isFinite else { return nil }
        let (x0, x1, x2) = (x[top - 1], x[top], x[top + 1]), (y0, y1, y2) = (y[top - 1], y[top], y[top + 1])
        let denominator = (x0 - x1) * (x0 - x2) * (x1 - x2)
        let a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denominator
        let b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denominator
        guard a < 0 else { return x1 }
        return min(max(-b / (2 * a), x0), x2)
    }
}
