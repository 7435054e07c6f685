/// The carrier transport a simulated film obeys: the ground truth the analysis must recover.
///
/// MSD(t) = 2 D t while transport is band-like (t <= bandEnd), then sub-diffusive hopping,
/// MSD ∝ t^alpha with alpha = hoppingExponent (Auger-assisted, while hot carriers remain), and
/// from thermalStart on thermal hopping with alpha = thermalExponent. The pieces join
/// continuously. Defaults are the paper's pure CQD film at the lowest fluence (REFERENCE §2):
/// D = 102 cm^2/s for ~300 fs, a ~80 nm band-like transport length, sigma_0 = 141 nm.
public struct TransportTruth: Sendable, Equatable, Codable {
    /// Spot width at time zero, nm.
    public var sigma0: Double = 141
    /// Band-like diffusivity, cm^2/s.
    public var bandDiffusivity: Double = 102
    /// End of the band-like regime, fs.
    public var bandEnd: Double = 300
    public var hoppingExponent: Double = 0.55
    /// Start of thermal hopping, fs.
    public var thermalStart: Double = 100_000
    public var thermalExponent: Double = 0.4

    public init() {}

    /// Mean squared displacement at delay `t` (fs), nm^2; 0 before time zero.
    public func msd(at t: Double) -> Double {
        guard t > 0 else { return 0 }
        let d = bandDiffusivity * 0.1  // cm^2/s -> nm^2/fs
        if t <= bandEnd { return 2 * d * t }
        let atBandEnd = 2 * d * bandEnd
        if t <= thermalStart { return atBandEnd * pow(t / bandEnd, hoppingExponent) }
        let atThermal = atBandEnd * pow(thermalStart / bandEnd, hoppingExponent)
        return atThermal * pow(t / thermalStart, thermalExponent)
    }

    /// Spot width at delay `t`, nm: sqrt(sigma_0^2 + MSD(t)).
    public func sigma(at t: Double) -> Double { (sigma0 * sigma0 + msd(at: t)).squareRoot() }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
