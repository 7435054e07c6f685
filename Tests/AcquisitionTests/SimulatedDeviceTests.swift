import Acquisition
import XCTest

/// The simulated devices keep their lifecycle and limits, take virtual time as hardware would,
/// and fail on request.
final class SimulatedDeviceTests: XCTestCase {
    func ready<D: Device>(_ device: D) throws -> D {
        try device.connect()
        try device.configure([:])
        return device
    }

    func testStageMovesTakeVirtualTimeAndCanFail() throws {
        let clock = VirtualClock()
        let stage = SimulatedDelayStage(clock: clock, speed: 5, settle: 0.05)
        XCTAssertThrowsError(try stage.move(toDelay: 100)) { XCTAssertTrue("\($0)".contains("cannot move while closed"), "\($0)") }
        _ = try ready(stage)
        XCTAssertEqual(try stage.delay(), 0, accuracy: 1e-9, "it starts at time zero")
        try stage.move(toDelay: 66_713)  // 10 mm of travel in double pass
        XCTAssertEqual(try stage.position(), 12, accuracy: 1e-3)
        XCTAssertFalse(try stage.isReady())
        XCTAssertThrowsError(try stage.move(toDelay: 0)) { XCTAssertTrue("\($0)".contains("still moving"), "\($0)") }
        clock.wait(2.0)
        XCTAssertFalse(try stage.isReady(), "10 mm at 5 mm/s and 0.05 s settle: 2.05 s")
        clock.wait(0.06)
        XCTAssertTrue(try stage.isReady())
        XCTAssertThrowsError(try stage.move(toDelay: 200_000)) { XCTAssertTrue("\($0)".contains("outside its travel"), "\($0)") }
        stage.pendingFault = .stageError
        XCTAssertThrowsError(try stage.move(toDelay: 1000)) { XCTAssertTrue("\($0)".contains("following error"), "\($0)") }
        XCTAssertEqual(try stage.position(), 12, accuracy: 1e-3, "a failed move leaves the stage where it was")
        XCTAssertThrowsError(try stage.configure(["stage.speed_mm_s": .number(1000)]))
    }

    func testChopperTagsAlternateAndCanSlip() throws {
        let chopper = try ready(SimulatedChopper())
        try chopper.arm()
        try chopper.start()
        // Frames at 60 Hz, exposed a quarter period into each half: on, off, on, off...
        let times = (0..<8).map { Double($0) / 60 + 1.0 / 240 }
        XCTAssertEqual(try times.map { try chopper.tag(atTime: $0) }, [.on, .off, .on, .off, .on, .off, .on, .off])
        chopper.fault = .chopperPhaseSlip(at: times[4], degrees: 180)
        XCTAssertEqual(try times.map { try chopper.tag(atTime: $0) }, [.on, .off, .on, .off, .off, .on, .off, .on])
    }

    func testWheelAndAttenuator() throws {
        let clock = VirtualClock()
        let wheel = try ready(SimulatedFilterWheel(clock: clock, turn: 0.2))
        try wheel.select(wavelength: 900)
        XCTAssertEqual(try wheel.position(), 5)
        XCTAssertEqual(clock.now, 0.8, accuracy: 1e-12, "four positions at 0.2 s")
        XCTAssertThrowsError(try wheel.select(wavelength: 725))
        let attenuator = try ready(SimulatedAttenuator())
        try attenuator.set(pulseEnergyNJ: 5)
        XCTAssertEqual(try attenuator.pulseEnergyNJ() ?? .nan, 5, accuracy: 1e-9)
        XCTAssertThrowsError(try attenuator.set(pulseEnergyNJ: 50)) { XCTAssertTrue("\($0)".contains("outside the calibrated"), "\($0)") }
    }
}
