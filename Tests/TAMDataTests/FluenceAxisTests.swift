import TAMData
import XCTest

/// <N_abs> as dataset.json gives it, or computed from the pulse energy and the pump settings.
final class FluenceAxisTests: XCTestCase {
    func manifest(_ instrument: [String: InstrumentSetting]) -> DatasetManifest {
        DatasetManifest(pixelSizeNm: 55.6, frameWidth: 8, frameHeight: 8,
                        axes: ScanAxes(delayFs: [-100, 0, 100], fluence: [.init(nAbs: 0.12, pulseEnergyNJ: 1.5), .init(pulseEnergyNJ: 1)]),
                        instrument: instrument)
    }

    func testGivenOrComputedFromThePump() throws {
        let settings: [String: InstrumentSetting] = ["pump.wavelength_nm": .init(580, unit: "nm"), "pump.beam_radius_um": .init(1, unit: "um"),
                                                     "sample.cross_section_cm2": .init(1e-15, unit: "cm^2")]
        let m = manifest(settings)
        let given = try m.absorbedPerDot(fluence: 0)
        XCTAssertEqual(given.value, 0.12)
        XCTAssertNil(given.note)
        let computed = try m.absorbedPerDot(fluence: 1)
        let photons = 1e-9 * 580e-9 / (6.62607015e-34 * 2.99792458e8)
        XCTAssertEqual(try XCTUnwrap(computed.value), photons * 2 / (Double.pi * 1e-8) * 1e-15, accuracy: 1e-6)
        XCTAssertTrue(computed.note?.contains("peak fluence") ?? false, computed.note ?? "")
        var average = settings
        average["pump.fluence_convention"] = .init("average")
        XCTAssertEqual(try XCTUnwrap(manifest(average).absorbedPerDot(fluence: 1).value) * 2, try XCTUnwrap(computed.value), accuracy: 1e-6)
    }

    func testMissingSettingsSayWhatIsMissingAndABadConventionIsRefused() throws {
        let missing = try manifest([:]).absorbedPerDot(fluence: 1)
        XCTAssertNil(missing.value)
        XCTAssertTrue(missing.note?.contains("pump.beam_radius_um") ?? false, missing.note ?? "")
        let bad = manifest(["pump.wavelength_nm": .init(580), "pump.beam_radius_um": .init(1), "sample.cross_section_cm2": .init(1e-15),
                            "pump.fluence_convention": .init("mean")])
        XCTAssertThrowsError(try bad.absorbedPerDot(fluence: 1)) { XCTAssertTrue("\($0)".contains("peak or average"), "\($0)") }
    }
}
