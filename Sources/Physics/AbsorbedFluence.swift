/// <N_abs>, the mean number of photons each dot absorbs per pump pulse (docs/reference.md §1):
/// <N_abs> = sigma_abs · j, with j the photon fluence per pulse, pulse energy · lambda / (h c) over
/// the beam area.
///
/// Beam convention (stated, since papers differ by a factor of 2): the beam is Gaussian with
/// 1/e² intensity radius w0; `.peak` uses its peak fluence 2E/(pi w0²) (the centre of the spot,
/// where TAM measures), `.average` uses E/(pi w0²) (the mean over a disc of radius w0).
public struct AbsorbedFluence: Sendable, Equatable, Codable {
    public enum Convention: String, Sendable, Codable { case peak, average }

    public var pulseEnergyNJ: Double
    public var wavelengthNm: Double
    /// 1/e² intensity radius of the pump beam, um.
    public var beamRadiusUm: Double
    /// Absorption cross-section of one dot at the pump wavelength, cm².
    public var crossSectionCm2: Double
    public var convention: Convention = .peak

    public init(pulseEnergyNJ: Double, wavelengthNm: Double, beamRadiusUm: Double, crossSectionCm2: Double, convention: Convention = .peak) {
        self.pulseEnergyNJ = pulseEnergyNJ; self.wavelengthNm = wavelengthNm; self.beamRadiusUm = beamRadiusUm
        self.crossSectionCm2 = crossSectionCm2; self.convention = convention
    }

    static let planck = 6.62607015e-34, light = 2.99792458e8

    /// Photons per cm² per pulse under the convention.
    public func photonFluence() throws -> Double {
        for (name, v, unit) in [("pulse energy", pulseEnergyNJ, "nJ"), ("pump wavelength", wavelengthNm, "nm"),
                                ("beam radius", beamRadiusUm, "um"), ("absorption cross-section", crossSectionCm2, "cm^2")] {
            guard v > 0, v.isFinite else { throw PhysicsError.badSetting("\(name) \(v) \(unit): must be positive to compute <N_abs>") }
        }
        let photons = pulseEnergyNJ * 1e-9 * wavelengthNm * 1e-9 / (Self.planck * Self.light)
        let w0 = beamRadiusUm * 1e-4  // cm
        let area = Double.pi * w0 * w0 / (convention == .peak ? 2 : 1)
        return photons / area
    }

    /// <N_abs>, photons absorbed per dot per pulse.
    public func nAbs() throws -> Double { try photonFluence() * crossSectionCm2 }
}
