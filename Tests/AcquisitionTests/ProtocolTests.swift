import Acquisition
import XCTest

/// The protocol layer's rules: delay conversion, lifecycle order, typed settings with limits,
/// the attenuator calibration, and plans a device cannot follow refused before anything moves.
final class ProtocolTests: XCTestCase {
    func testDelayConversionBothWays() {
        let double = DelayConversion(passes: 2, zeroMillimetres: 1.5)
        XCTAssertEqual(double.femtosecondsPerMillimetre / 1000, 6.6713, accuracy: 1e-4, "6.6713 fs per um in double pass")
        XCTAssertEqual(double.delay(atMillimetres: 1.5), 0)
        for t in [-300.0, 0, 123.4, 166_000] { XCTAssertEqual(double.delay(atMillimetres: double.millimetres(forDelay: t)), t, accuracy: 1e-9) }
        XCTAssertEqual(DelayConversion(passes: 2).reach(lower: 0, upper: 25).upperBound / 1000, 166.8, accuracy: 0.1, "a 25 mm stage reaches ~167 ps")
        XCTAssertEqual(DelayConversion(passes: 2).reach(lower: 0, upper: 100).upperBound / 1000, 667.1, accuracy: 0.1)
        let reversed = DelayConversion(passes: 2, zeroMillimetres: 20, direction: -1)
        XCTAssertGreaterThan(reversed.delay(atMillimetres: 10), 0, "moving in shortens the pump path: a later probe")
        XCTAssertEqual(reversed.millimetres(forDelay: reversed.delay(atMillimetres: 7.25)), 7.25, accuracy: 1e-12)
        XCTAssertEqual(DelayConversion(passes: 1).femtosecondsPerMillimetre * 2, double.femtosecondsPerMillimetre, accuracy: 1e-9)
    }

    func testLifecycleOrder() throws {
        var life = Lifecycle(device: "camera")
        XCTAssertThrowsError(try life.take(.start)) { XCTAssertTrue("\($0)".contains("camera: cannot start while closed"), "\($0)") }
        for step in [LifecycleStep.connect, .configure, .arm, .start] { try life.take(step) }
        XCTAssertEqual(life.state, .running)
        XCTAssertThrowsError(try life.take(.configure), "no reconfiguring a running camera")
        try life.require([.running], for: "acquire")
        try life.take(.stop)
        XCTAssertThrowsError(try life.require([.running], for: "acquire")) { XCTAssertTrue("\($0)".contains("it must be running"), "\($0)") }
        try life.take(.configure)
        try life.take(.close)
        XCTAssertEqual(life.state, .closed)
    }

    func testSettingsAreCheckedAgainstTheirLimits() throws {
        var settings = CameraSettings.standard(sensorWidth: 512, sensorHeight: 512)
        try settings.apply(["camera.exposure_ms": .number(20), "camera.trigger": .text("external")], device: "camera")
        XCTAssertEqual(settings.first { $0.name == "camera.exposure_ms" }?.value, .number(20))
        XCTAssertEqual(settings.first { $0.name == "camera.exposure_ms" }?.instrumentSetting.unit, "ms")
        XCTAssertThrowsError(try settings.apply(["camera.em_gain": .number(5000)], device: "camera")) {
            XCTAssertTrue("\($0)".contains("camera.em_gain: 5000.0 is outside 1.0...1000.0"), "\($0)")
        }
        XCTAssertThrowsError(try settings.apply(["camera.trigger": .text("software")], device: "camera")) { XCTAssertTrue("\($0)".contains("internal, external"), "\($0)") }
        XCTAssertThrowsError(try settings.apply(["camera.binning": .text("2")], device: "camera")) { XCTAssertTrue("\($0)".contains("a whole number"), "\($0)") }
        XCTAssertThrowsError(try settings.apply(["camera.shutter": .flag(true)], device: "camera")) { XCTAssertTrue("\($0)".contains("has no setting 'camera.shutter'"), "\($0)") }
        XCTAssertThrowsError(try settings.apply(["camera.exposure_ms": .number(.nan)], device: "camera"))
        XCTAssertEqual(settings.first { $0.name == "camera.exposure_ms" }?.value, .number(20), "a refused change leaves every setting as it was")
    }

    func testAttenuatorCalibrationBothWaysAndItsRange() throws {
        let c = try AttenuatorCalibration(settings: [0, 90, 45], pulseEnergiesNJ: [10, 0.5, 4])
        XCTAssertEqual(c.pulseEnergy(atSetting: 22.5) ?? .nan, 7, accuracy: 1e-12)
        XCTAssertEqual(try c.setting(forPulseEnergy: 7), 22.5, accuracy: 1e-12)
        XCTAssertEqual(try c.setting(forPulseEnergy: c.pulseEnergy(atSetting: 60)!), 60, accuracy: 1e-9)
        XCTAssertNil(c.pulseEnergy(atSetting: 100), "never extrapolated")
        XCTAssertThrowsError(try c.setting(forPulseEnergy: 20)) { XCTAssertTrue("\($0)".contains("outside the calibrated 0.5...10.0 nJ"), "\($0)") }
        XCTAssertThrowsError(try AttenuatorCalibration(settings: [0, 1, 2], pulseEnergiesNJ: [1, 3, 2]), "energy must be monotone")
    }

    /// A stage that cannot reach a delay refuses it before moving (a 25 mm stage in double pass
    /// reaches ~167 ps); a wheel without the band refuses the wavelength, listing its filters.
    func testImpossibleRequestsAreRefusedBeforeAnythingMoves() throws {
        let stage = RecordingStage()
        XCTAssertThrowsError(try stage.move(toDelay: 200_000)) { XCTAssertTrue("\($0)".contains("outside its travel") && "\($0)".contains("166"), "\($0)") }
        XCTAssertTrue(stage.moves.isEmpty)
        try stage.move(toDelay: 1000)
        XCTAssertEqual(stage.moves, [1000 / stage.conversion.femtosecondsPerMillimetre])
        let wheel = RecordingWheel()
        XCTAssertThrowsError(try wheel.select(wavelength: 725)) { XCTAssertTrue("\($0)".contains("700.0, 750.0, 800.0"), "\($0)") }
        try wheel.select(wavelength: 750)
        XCTAssertEqual(try wheel.position(), 2)
    }
}

/// Minimal devices for the protocol extensions (the simulated microscope is the real mock).
final class RecordingStage: DelayStage {
    let name = "delay stage"
    var lifecycle = Lifecycle(device: "delay stage")
    var settings: [Setting] = []
    let conversion = DelayConversion(passes: 2)
    let travel = 0.0...25.0
    var moves: [Double] = []
    func connect() throws {}
    func configure(_ values: [String: SettingValue]) throws {}
    func arm() throws {}
    func start() throws {}
    func stop() throws {}
    func close() throws {}
    func move(toMillimetres millimetres: Double) throws { moves.append(millimetres) }
    func position() throws -> Double { moves.last ?? 0 }
    func isReady() throws -> Bool { true }
}

final class RecordingWheel: FilterWheel {
    let name = "filter wheel"
    var lifecycle = Lifecycle(device: "filter wheel")
    var settings: [Setting] = []
    let wavelengths: [Int: Double] = [1: 700, 2: 750, 3: 800]
    var current = 1
    func connect() throws {}
    func configure(_ values: [String: SettingValue]) throws {}
    func arm() throws {}
    func start() throws {}
    func stop() throws {}
    func close() throws {}
    func select(position: Int) throws { current = position }
    func position() throws -> Int { current }
}
