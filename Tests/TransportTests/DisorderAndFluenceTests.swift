import FemtofitTestSupport
import FitCore
import Transport
import XCTest

final class DisorderAndFluenceTests: XCTestCase {
    /// A red shift of -20 meV with tau 500 fs at 300 K gives sigma_inh = sqrt(2 kT 20 meV) = 32.2 meV.
    func testDisorderFromASimulatedRedShift() throws {
        let seed = freshSeed(0xD15)
        var random = SeededRandom(seed: seed)
        let delays = (0..<40).map { Double($0) * 50 }
        let noise = 0.0005
        let energies = delays.map { 1.55 - 0.020 * (1 - exp(-$0 / 500)) + noise * random.normal() }
        let d = try EnergeticDisorder(delays: delays, energies: energies, errors: [Double](repeating: noise, count: delays.count))
        let truth = (2 * EnergeticDisorder.boltzmann * 300 * 0.020).squareRoot() * 1000
        XCTAssertEqual(truth, 32.16, accuracy: 0.01)
        XCTAssertEqual(d.shiftMeV.value, -20, accuracy: 4 * d.shiftMeV.stderr, "seed \(seed)")
        XCTAssertLessThan(d.shiftMeV.stderr, 1)
        XCTAssertEqual(d.sigmaInhMeV.value, truth, accuracy: 4 * d.sigmaInhMeV.stderr, "seed \(seed)")
        XCTAssertEqual(d.tauFs.value, 500, accuracy: 4 * d.tauFs.stderr, "seed \(seed)")
        // Unweighted: errors from the scatter, about the same size.
        let u = try EnergeticDisorder(delays: delays, energies: energies)
        XCTAssertEqual(u.shiftMeV.stderr, d.shiftMeV.stderr, accuracy: 0.5 * d.shiftMeV.stderr)
    }

    func testBlueShiftAndTooFewDelaysAreRefused() {
        let delays = (0..<20).map { Double($0) * 100 }
        XCTAssertThrowsError(try EnergeticDisorder(delays: delays, energies: delays.map { 1.5 + 0.01 * (1 - exp(-$0 / 300)) })) { error in
            XCTAssertTrue("\(error)".contains("blue"), "\(error)")
        }
        XCTAssertThrowsError(try EnergeticDisorder(delays: [0, 10, 20], energies: [1, 1, 1])) { error in
            XCTAssertTrue("\(error)".contains("4 or more"), "\(error)")
        }
    }

    /// The peak of a Gaussian band sampled every 10 nm is found between the samples.
    func testBleachPeakIsRefinedBetweenWavelengths() throws {
        let wavelengths = stride(from: 650.0, through: 950, by: 10).map { $0 }
        let peak = 1.55  // eV, ~800 nm
        let signal = wavelengths.map { exp(-pow(BleachPeak.electronVoltNanometres / $0 - peak, 2) / (2 * 0.05 * 0.05)) }
        let e = try XCTUnwrap(BleachPeak.energy(wavelengthsNm: wavelengths, signal: signal))
        XCTAssertEqual(e, peak, accuracy: 0.001)
        XCTAssertNil(BleachPeak.energy(wavelengthsNm: [700, 710, 720], signal: [3, 2, 1]), "a peak at the scan's edge is outside it")
    }

    /// 1 nJ at 580 nm, w0 = 1 um, sigma_abs = 1e-15 cm^2: 2.92e9 photons; peak fluence
    /// 2 N / (pi w0^2) = 1.86e17 cm^-2, so <N_abs> = 186; the average convention halves it.
    func testAbsorbedFluenceWithItsBeamConvention() throws {
        let peak = AbsorbedFluence(pulseEnergyNJ: 1, wavelengthNm: 580, beamRadiusUm: 1, crossSectionCm2: 1e-15)
        let photons = 1e-9 * 580e-9 / (6.62607015e-34 * 2.99792458e8)
        XCTAssertEqual(photons, 2.9198e9, accuracy: 1e5)
        XCTAssertEqual(try peak.nAbs(), photons * 2 / (Double.pi * 1e-8) * 1e-15, accuracy: 1e-9)
        var average = peak
        average.convention = .average
        XCTAssertEqual(try average.nAbs() * 2, try peak.nAbs(), accuracy: 1e-9)
        var bad = peak
        bad.beamRadiusUm = 0
        XCTAssertThrowsError(try bad.nAbs()) { XCTAssertTrue("\($0)".contains("beam radius"), "\($0)") }
    }
}
