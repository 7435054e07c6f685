import Physics

extension DatasetManifest {
    /// <N_abs> of fluence `index`: as dataset.json gives it, else computed (`AbsorbedFluence`) from
    /// its pulse energy and the instrument settings `pump.wavelength_nm`, `pump.beam_radius_um`
    /// (1/e² radius), `sample.cross_section_cm2` and optionally `pump.fluence_convention`
    /// (`peak`, the default, or `average`). nil when neither is possible; the note says which
    /// was used, for the report.
    public func absorbedPerDot(fluence index: Int) throws -> (value: Double?, note: String?) {
        let fluence = axes.fluence[index]
        if let n = fluence.nAbs { return (n, nil) }
        guard let energy = fluence.pulseEnergyNJ else { return (nil, nil) }
        func number(_ name: String) -> Double? {
            if case .number(let v)? = instrument[name]?.value { return v }
            return nil
        }
        guard let wavelength = number("pump.wavelength_nm"), let radius = number("pump.beam_radius_um"),
              let crossSection = number("sample.cross_section_cm2") else {
            return (nil, "fluence \(index): no n_abs, and pump.wavelength_nm, pump.beam_radius_um and sample.cross_section_cm2 are not all set to compute it from the \(energy) nJ pulse; the fluence column holds its index")
        }
        var convention = AbsorbedFluence.Convention.peak
        if case .text(let text)? = instrument["pump.fluence_convention"]?.value {
            guard let c = AbsorbedFluence.Convention(rawValue: text) else {
                throw TAMDataError("dataset.json", "instrument setting pump.fluence_convention is '\(text)'; use peak or average")
            }
            convention = c
        }
        let n: Double
        do {
            n = try AbsorbedFluence(pulseEnergyNJ: energy, wavelengthNm: wavelength, beamRadiusUm: radius,
                                    crossSectionCm2: crossSection, convention: convention).nAbs()
        } catch PhysicsError.badSetting(let why) {
            throw TAMDataError("dataset.json", "axes.fluence[\(index)]: \(why); fix the instrument settings pump.wavelength_nm, pump.beam_radius_um and sample.cross_section_cm2, or give the fluence its n_abs")
        }
        return (n, "fluence \(index): <N_abs> = \(n) computed from \(energy) nJ at \(wavelength) nm, w0 \(radius) um (1/e^2), sigma_abs \(crossSection) cm^2, \(convention.rawValue) fluence")
    }
}
