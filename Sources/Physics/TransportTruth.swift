#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The carrier transport a simulated film obeys: the ground truth the analysis must recover.
///
/// MSD(t) = 2 D t while transport is band-like (t <= bandEnd), then sub-diffusive hopping,
/// MSD ∝ t^alpha with alpha = hoppingExponent (Auger-assisted, while hot carriers remain), and
/// from thermalStart on thermal hopping with alpha = thermalExponent. The pieces join
/// continuously. With `bandEnd` 0 there is no band-like regime: MSD = 2 D τ (t/τ)^hoppingExponent
/// from time zero, τ = `hoppingScale`. Defaults are the paper's pure CQD film at the lowest
/// fluence (docs/reference.md §2): D = 102 cm^2/s for ~300 fs, a ~80 nm band-like length, sigma_0 141 nm.
public struct TransportTruth: Sendable, Equatable, Codable {
    /// Spot width at time zero, nm.
    public var sigma0: Double = 141
    /// Band-like diffusivity, cm^2/s (without a band-like regime: D at `hoppingScale`).
    public var bandDiffusivity: Double = 102
    /// End of the band-like regime, fs; 0 for none.
    public var bandEnd: Double = 300
    public var hoppingExponent: Double = 0.55
    /// Start of thermal hopping, fs.
    public var thermalStart: Double = 100_000
    public var thermalExponent: Double = 0.4
    /// Time scale of the hopping law when there is no band-like regime, fs.
    public var hoppingScale: Double = 100

    public init() {}

    /// The paper's pure CQD film at the lowest fluence: 102 cm^2/s for 300 fs (~78 nm).
    public static let pureFilm = TransportTruth()

    /// The 40 vol% perovskite heterostructure (QDiP): 106 cm^2/s, band-like to ~90 nm (382 fs).
    public static var heterostructure40: TransportTruth {
        var t = TransportTruth()
        t.bandDiffusivity = 106
        t.bandEnd = 382
        return t
    }

    /// The 90 vol% heterostructure: no band-like regime, sub-diffusive from time zero.
    public static var heterostructure90: TransportTruth {
        var t = TransportTruth()
        t.bandDiffusivity = 60
        t.bandEnd = 0
        t.hoppingExponent = 0.6
        return t
    }

    /// The pure film at `fluence` <N_abs> (the paper's 0.045–0.18): band-like D falls as fluence
    /// rises (carrier–carrier scattering), the Auger-assisted hopping exponent rises with it (the
    /// 1–100 ps MSD grows faster at higher fluence), thermal hopping is the same at every fluence.
    public static func pureFilm(fluence: Double) -> TransportTruth {
        var t = TransportTruth()
        let step = (fluence - 0.045) / 0.045
        t.bandDiffusivity = 102 - 7 * step
        t.hoppingExponent = 0.50 + 0.06 * step
        return t
    }

    /// Band-like length: sqrt(MSD) at the end of the band-like regime, nm (0 without one).
    public var bandLikeLength: Double { msd(at: bandEnd).squareRoot() }

    /// Mean squared displacement at delay `t` (fs), nm^2; 0 before time zero.
    public func msd(at t: Double) -> Double {
        guard t > 0 else { return 0 }
        let d = bandDiffusivity * 0.1  // cm^2/s -> nm^2/fs
        let atBandEnd: Double, hopFrom: Double
        if bandEnd > 0 {
            if t <= bandEnd { return 2 * d * t }
            atBandEnd = 2 * d * bandEnd
            hopFrom = bandEnd
        } else {
            atBandEnd = 2 * d * hoppingScale
            hopFrom = hoppingScale
        }
        if t <= thermalStart { return atBandEnd * pow(t / hopFrom, hoppingExponent) }
        let atThermal = atBandEnd * pow(thermalStart / hopFrom, hoppingExponent)
        return atThermal * pow(t / thermalStart, thermalExponent)
    }

    /// Spot width at delay `t`, nm: sqrt(sigma_0^2 + MSD(t)).
    public func sigma(at t: Double) -> Double { (sigma0 * sigma0 + msd(at: t)).squareRoot() }
}
