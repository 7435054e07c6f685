import Foundation
import TAMData

/// The devices of one TAM microscope, behind their protocols, on one clock: the simulated
/// microscope by default, or what an instrument file (`InstrumentFile`) names. It checks a plan
/// against the hardware before anything moves and takes every device through its lifecycle.
public final class Instrument {
    public let clock: InstrumentClock
    public let camera: Camera
    public let delayStage: DelayStage
    public let sampleStage: SampleStage
    public let chopper: Chopper
    public let filterWheel: FilterWheel
    public let attenuator: PumpAttenuator
    /// Camera pixel in the sample plane, nm (before binning).
    public let pixelSizeNm: Double
    /// Where the instrument came from ("simulated TAM microscope", an instrument file's path).
    public let source: String
    /// The simulated devices, when this is the simulator (for faults and the run's drift).
    public let simulated: SimulatedMicroscope?
    /// Settings that are not any device's (the sample, the pump), for dataset.json.
    public var extraSettings: [String: InstrumentSetting] = [:]
    /// Settings each device is configured with (by device name), from the instrument file.
    public var configuration: [String: [String: SettingValue]] = [:]

    public init(clock: InstrumentClock, camera: Camera, delayStage: DelayStage, sampleStage: SampleStage, chopper: Chopper,
                filterWheel: FilterWheel, attenuator: PumpAttenuator, pixelSizeNm: Double, source: String,
                simulated: SimulatedMicroscope? = nil) {
        self.clock = clock; self.camera = camera; self.delayStage = delayStage; self.sampleStage = sampleStage
        self.chopper = chopper; self.filterWheel = filterWheel; self.attenuator = attenuator
        self.pixelSizeNm = pixelSizeNm; self.source = source; self.simulated = simulated
    }

    /// The simulated TAM microscope (the default everywhere): on a virtual clock unless `clock`
    /// says otherwise, looking at `sample`.
    public static func simulated(clock: InstrumentClock = VirtualClock(), sample: SimulatedSample = SimulatedSample(),
                                 sensor: Int = 64, seed: UInt64 = 1) -> Instrument {
        let microscope = SimulatedMicroscope(clock: clock, sample: sample, sensor: sensor, seed: seed)
        return Instrument(clock: clock, camera: microscope.camera, delayStage: microscope.delayStage,
                          sampleStage: microscope.sampleStage, chopper: microscope.chopper, filterWheel: microscope.filterWheel,
                          attenuator: microscope.attenuator, pixelSizeNm: microscope.camera.pixelSizeNm,
                          source: "simulated TAM microscope", simulated: microscope)
    }

    public var devices: [Device] { [delayStage, sampleStage, filterWheel, attenuator, chopper, camera] }

    /// Pixel size of the frames the camera delivers (binning included), nm.
    public var framePixelSizeNm: Double { pixelSizeNm * (camera.settings.number("camera.binning") ?? 1) }

    /// Every device setting by name, plus `extraSettings`, as dataset.json records them.
    public var settings: [String: InstrumentSetting] {
        var all = extraSettings
        for device in devices { for setting in device.settings { all[setting.name] = setting.instrumentSetting } }
        all["camera.pixel_size_nm"] = InstrumentSetting(pixelSizeNm, unit: "nm")
        all["instrument.source"] = InstrumentSetting(source)
        return all
    }

    /// Everything in `plan` this hardware cannot do, found before anything moves; the error lists
    /// each problem with the entry at fault (up to ten).
    public func validate(_ plan: ScanPlan, file: String = "plan") throws {
        try plan.validate(file: file)
        var problems: [String] = []
        let reach = delayStage.reach
        for (i, delay) in plan.delays.enumerated() where !reach.contains(delay) {
            problems.append("delays[\(i)] = \(delay) fs is beyond the delay stage's reach \(String(format: "%.0f...%.0f", reach.lowerBound, reach.upperBound)) fs (travel \(delayStage.travel.lowerBound)...\(delayStage.travel.upperBound) mm, \(delayStage.conversion.passes) passes)")
        }
        let bands = filterWheel.wavelengths.values.sorted()
        for (i, wavelength) in plan.wavelengthsNm.enumerated() where !bands.contains(where: { abs($0 - wavelength) <= 0.5 }) {
            problems.append("wavelengths_nm[\(i)] = \(wavelength) nm: the filter wheel has \(bands.map { "\($0)" }.joined(separator: ", ")) nm")
        }
        for (i, energy) in plan.pulseEnergiesNJ.enumerated() {
            do { _ = try attenuator.calibration.setting(forPulseEnergy: energy) } catch {
                problems.append("fluences_nj[\(i)] = \(energy) nJ: \((error as? AcquisitionError)?.message ?? "\(error)")")
            }
        }
        for (i, spot) in plan.spots.enumerated() where !sampleStage.travelX.contains(spot.xUm) || !sampleStage.travelY.contains(spot.yUm) {
            problems.append("spots[\(i)] = (\(spot.xUm), \(spot.yUm)) µm is outside the sample stage's travel \(sampleStage.travelX) x \(sampleStage.travelY) µm")
        }
        // The camera and chopper as the scan will configure them: the instrument file's settings,
        // then the plan's.
        var settings = camera.settings
        do {
            try settings.apply(configuration[camera.name] ?? [:], device: camera.name)
            try settings.apply(plan.camera, device: camera.name)
        } catch { problems.append("camera: \(error)") }
        var chopperSettings = chopper.settings
        try? chopperSettings.apply(configuration[chopper.name] ?? [:], device: chopper.name)
        if settings.isExternallyTriggered, let exposure = settings.number("camera.exposure_ms"),
           let frequency = chopperSettings.number("chopper.frequency_hz"), exposure / 1000 >= 0.5 / frequency {
            problems.append("camera.exposure_ms = \(exposure) ms is not shorter than half the chopper period (\(500 / frequency) ms at \(frequency) Hz); pump-on and pump-off frames would mix")
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(10).joined(separator: "\n  ")
            throw AcquisitionError(file, "asks for what the instrument cannot do (nothing has moved):\n  \(shown)\(problems.count > 10 ? "\n  ... and \(problems.count - 10) more" : "")")
        }
    }

    /// Connects, configures (the camera with the plan's settings), arms and starts every device.
    public func begin(_ plan: ScanPlan) throws {
        for device in devices where device.lifecycle.state == .closed { try device.connect() }
        for device in devices {
            var values = configuration[device.name] ?? [:]
            if device === camera { values.merge(plan.camera) { _, fromPlan in fromPlan } }
            try device.configure(values)
        }
        for device in devices { try device.arm() }
        for device in devices { try device.start() }
    }

    /// Stops and closes every device, whatever state each is in; the first failure is returned,
    /// not thrown, so one stuck device does not leave the others running.
    @discardableResult
    public func end() -> Error? {
        var first: Error?
        for device in devices.reversed() {
            do {
                if device.lifecycle.state == .running || device.lifecycle.state == .armed { try device.stop() }
            } catch { first = first ?? error }
            do {
                if device.lifecycle.state != .closed { try device.close() }
            } catch { first = first ?? error }
        }
        return first
    }

    /// The delay stage and sample stage are both ready, polling on the instrument clock; a
    /// device that falls out of READY throws, one that never arrives throws after `timeout` s.
    public func waitUntilReady(timeout: Double = 120) throws {
        let deadline = clock.now + timeout
        while try !(delayStage.isReady() && sampleStage.isReady()) {
            guard clock.now < deadline else {
                throw AcquisitionError(try delayStage.isReady() ? sampleStage.name : delayStage.name, "did not report ready within \(timeout) s")
            }
            clock.wait(0.002)
        }
    }

    /// Tells the simulator which run it is (its pointing drift grows per run).
    public func beginRun(_ run: Int) { (camera as? RunTracking)?.run = run }
}

/// The simulated TAM microscope's devices, concrete, so faults can be switched on.
public struct SimulatedMicroscope {
    public let camera: SimulatedCamera
    public let delayStage: SimulatedDelayStage
    public let sampleStage: SimulatedSampleStage
    public let chopper: SimulatedChopper
    public let filterWheel: SimulatedFilterWheel
    public let attenuator: SimulatedAttenuator

    public init(camera: SimulatedCamera, delayStage: SimulatedDelayStage, sampleStage: SimulatedSampleStage, chopper: SimulatedChopper,
                filterWheel: SimulatedFilterWheel, attenuator: SimulatedAttenuator) {
        self.camera = camera; self.delayStage = delayStage; self.sampleStage = sampleStage
        self.chopper = chopper; self.filterWheel = filterWheel; self.attenuator = attenuator
    }

    public init(clock: InstrumentClock, sample: SimulatedSample = SimulatedSample(), sensor: Int = 64, seed: UInt64 = 1,
                travel: ClosedRange<Double> = 0...25, zeroMillimetres: Double = 2) {
        delayStage = SimulatedDelayStage(clock: clock, travel: travel, zeroMillimetres: zeroMillimetres)
        sampleStage = SimulatedSampleStage(clock: clock)
        chopper = SimulatedChopper()
        filterWheel = SimulatedFilterWheel(clock: clock)
        attenuator = SimulatedAttenuator()
        camera = SimulatedCamera(clock: clock, stage: delayStage, chopper: chopper, wheel: filterWheel, attenuator: attenuator,
                                 sensorWidth: sensor, sensorHeight: sensor, seed: seed, trigger: "external")
        camera.sample = sample
        camera.sampleStage = sampleStage
    }
}
