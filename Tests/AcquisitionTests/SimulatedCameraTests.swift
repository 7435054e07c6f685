import Acquisition
import XCTest

/// The simulated microscope's camera: pump-on frames carry the spot the sample gives, pump-off
/// frames do not; the frame counter shows dropped frames; ROI, binning and saturation behave.
final class SimulatedCameraTests: XCTestCase {
    struct Rig {
        let clock = VirtualClock()
        let stage: SimulatedDelayStage
        let chopper = SimulatedChopper()
        let wheel: SimulatedFilterWheel
        let attenuator = SimulatedAttenuator()
        let camera: SimulatedCamera

        init(seed: UInt64) throws {
            stage = SimulatedDelayStage(clock: clock)
            wheel = SimulatedFilterWheel(clock: clock)
            camera = SimulatedCamera(clock: clock, stage: stage, chopper: chopper, wheel: wheel, attenuator: attenuator, seed: seed)
            for device in [stage, chopper, wheel, attenuator, camera] as [Device] { try device.connect(); try device.configure([:]) }
            for device in [chopper, camera] as [Device] { try device.arm(); try device.start() }
        }
    }

    func testPumpOnFramesCarryTheSpotAndOffFramesDoNot() throws {
        let rig = try Rig(seed: 7)
        rig.camera.photonsPerPixel = 20_000
        rig.camera.sample.signalPerNAbs = 0.2
        try rig.stage.move(toDelay: 100)
        rig.clock.wait(1)
        try rig.wheel.select(wavelength: 800)
        try rig.attenuator.set(pulseEnergyNJ: 5)
        // Exposures of half a chopper period, starting on a period boundary: on, off, on, off.
        try rig.camera.stop()
        try rig.camera.configure(["camera.exposure_ms": .number(1000.0 / 60)])
        try rig.camera.arm()
        try rig.camera.start()
        let period = 1.0 / 30
        rig.clock.wait(period - rig.clock.now.truncatingRemainder(dividingBy: period))
        var on = [Double](repeating: 0, count: 128 * 128), off = on
        for k in 0..<40 {
            let frame = try rig.camera.acquire()
            for i in frame.pixels.indices {
                if k % 2 == 0 { on[i] += Double(frame.pixels[i]) } else { off[i] += Double(frame.pixels[i]) }
            }
        }
        let centre = 64 * 128 + 64, corner = 5 * 128 + 5
        let dtt = { (i: Int) in (on[i] - off[i]) / (off[i] - 20 * rig.camera.baseline) }
        let expected = rig.camera.sample.spot(delay: 100, pulseEnergyNJ: 5, wavelength: 800).peak
        // The integral is what decays: the peak also falls as the spot spreads, by (sigma_0 / sigma)^2.
        let truth = rig.camera.sample.truth(pulseEnergyNJ: 5)
        let spread = pow(truth.sigma0 / truth.sigma(at: 100), 2)
        XCTAssertEqual(spread, 19881 / (19881 + 2 * (102 - 7 * (0.075 - 0.045) / 0.045) * 0.1 * 100), accuracy: 1e-9)
        XCTAssertEqual(expected, 0.2 * 0.075 * (0.6 * exp(-0.05) + 0.4 * exp(-0.0005)) * spread, accuracy: 1e-9)
        XCTAssertEqual(dtt(centre), expected, accuracy: 0.4 * expected, "the spot's peak near the centre")
        XCTAssertLessThan(abs(dtt(corner)), 0.3 * expected, "no spot far from it")
    }

    func testCounterShowsDroppedFramesAndROIBinningSaturation() throws {
        let rig = try Rig(seed: 8)
        rig.camera.dropFrames = [3]
        let counters = try (0..<4).map { _ in try rig.camera.acquire().counter }
        XCTAssertEqual(counters, [1, 2, 4, 5])
        try rig.camera.stop()
        XCTAssertThrowsError(try rig.camera.configure(["camera.roi_x": .number(100), "camera.roi_width": .number(64)])) {
            XCTAssertTrue("\($0)".contains("leaves the 128x128 sensor"), "\($0)")
        }
        try rig.camera.configure(["camera.roi_x": .number(32), "camera.roi_width": .number(64), "camera.binning": .number(2), "camera.em_gain": .number(1000)])
        try rig.camera.arm(); try rig.camera.start()
        let frame = try rig.camera.acquire()
        XCTAssertEqual(frame.width, 32)
        XCTAssertEqual(frame.height, 64)
        XCTAssertEqual(frame.pixels.max(), 65535, "EM gain 1000 on a bright probe saturates the 16-bit ADC")
    }
}
