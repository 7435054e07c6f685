/// The simulated motion devices and chopper of the simulated TAM microscope: each keeps the
/// protocol's lifecycle and limits, takes time on the instrument clock as real hardware would
/// (moves at a set speed, settle), and can be told to fail (`SimulatedFault`) so the sequencer's
/// handling of faults is testable.
public enum SimulatedFault: Sendable, Equatable {
    /// The next move ends in a stage error (as a following error would).
    case stageError
    /// The chopper's phase slips by `degrees` from instrument time `at` on.
    case chopperPhaseSlip(at: Double, degrees: Double)
}

/// A delay stage: 25 mm of travel by default, moving at `speed` mm/s plus `settle` s.
public final class SimulatedDelayStage: LifecycleDevice, DelayStage {
    public private(set) var settings: [Setting]
    public let travel: ClosedRange<Double>
    let clock: InstrumentClock
    var current: Double
    var arrival = 0.0
    /// Set to make the next move fail.
    public var pendingFault: SimulatedFault?

    public init(clock: InstrumentClock, travel: ClosedRange<Double> = 0...25, zeroMillimetres: Double = 2, speed: Double = 5, settle: Double = 0.05) {
        self.clock = clock
        self.travel = travel
        current = zeroMillimetres
        settings = [
            Setting("stage.passes", kind: .whole(minimum: 1, maximum: 8), value: .number(2)),
            Setting("stage.zero_mm", unit: "mm", kind: .number(minimum: travel.lowerBound, maximum: travel.upperBound), value: .number(zeroMillimetres)),
            Setting("stage.direction", kind: .whole(minimum: -1, maximum: 1), value: .number(1)),
            Setting("stage.speed_mm_s", unit: "mm/s", kind: .number(minimum: 0.01, maximum: 100), value: .number(speed)),
            Setting("stage.settle_s", unit: "s", kind: .number(minimum: 0, maximum: 10), value: .number(settle)),
        ]
        super.init(name: "delay stage")
    }

    public var conversion: DelayConversion {
        DelayConversion(passes: Int(settings.number("stage.passes") ?? 2), zeroMillimetres: settings.number("stage.zero_mm") ?? 0,
                        direction: (settings.number("stage.direction") ?? 1) < 0 ? -1 : 1)
    }

    public func configure(_ values: [String: SettingValue]) throws {
        try lifecycle.take(.configure)
        try settings.apply(values, device: name)
    }

    public func move(toMillimetres target: Double) throws {
        try lifecycle.require([.configured, .armed, .running], for: "move")
        guard travel.contains(target) else {
            throw AcquisitionError(name, "\(target) mm is outside the travel \(travel.lowerBound)...\(travel.upperBound) mm")
        }
        guard clock.now >= arrival else { throw AcquisitionError(name, "is still moving; wait until it is ready") }
        if pendingFault == .stageError {
            pendingFault = nil
            throw AcquisitionError(name, "following error during the move to \(target) mm; the stage stopped at \(current) mm")
        }
        let speed = settings.number("stage.speed_mm_s") ?? 5, settle = settings.number("stage.settle_s") ?? 0
        arrival = clock.now + abs(target - current) / speed + settle
        current = target
    }

    public func position() throws -> Double {
        try lifecycle.require([.connected, .configured, .armed, .running], for: "read its position")
        return current
    }

    public func isReady() throws -> Bool { clock.now >= arrival }
}

/// A chopper at `chopper.frequency_hz` (30 Hz, as in the paper) with phase `chopper.phase_deg`:
/// a frame exposed in the first half of each period is pump-on.
public final class SimulatedChopper: LifecycleDevice, Chopper {
    public private(set) var settings: [Setting] = [
        Setting("chopper.frequency_hz", unit: "Hz", kind: .number(minimum: 1, maximum: 10_000), value: .number(30)),
        Setting("chopper.phase_deg", unit: "deg", kind: .number(minimum: -360, maximum: 360), value: .number(0)),
    ]
    public var fault: SimulatedFault?

    public init() { super.init(name: "chopper") }

    public func configure(_ values: [String: SettingValue]) throws {
        try lifecycle.take(.configure)
        try settings.apply(values, device: name)
    }

    public func tag(atTime time: Double) throws -> PumpTag {
        try lifecycle.require([.running], for: "tag frames")
        var phase = settings.number("chopper.phase_deg") ?? 0
        if case let .chopperPhaseSlip(at, degrees)? = fault, time >= at { phase += degrees }
        let cycles = time * (settings.number("chopper.frequency_hz") ?? 30) + phase / 360
        let fraction = cycles - cycles.rounded(.down)
        return fraction < 0.5 ? .on : .off
    }
}

/// A six-position filter wheel of 10 nm band-passes, turning in `turn` s per position.
public final class SimulatedFilterWheel: LifecycleDevice, FilterWheel {
    public let settings: [Setting] = []
    public let wavelengths: [Int: Double]
    let clock: InstrumentClock
    var current = 1
    let turn: Double

    public init(clock: InstrumentClock, wavelengths: [Int: Double] = [1: 700, 2: 750, 3: 800, 4: 850, 5: 900, 6: 950], turn: Double = 0.2) {
        self.clock = clock
        self.wavelengths = wavelengths
        self.turn = turn
        super.init(name: "filter wheel")
    }

    public func configure(_ values: [String: SettingValue]) throws {
        try lifecycle.take(.configure)
        guard values.isEmpty else { throw AcquisitionError(name, "has no settings; its bands are fixed by its filters") }
    }

    public func select(position: Int) throws {
        try lifecycle.require([.configured, .armed, .running], for: "turn")
        guard wavelengths[position] != nil else {
            throw AcquisitionError(name, "has no position \(position); it has \(wavelengths.keys.sorted().map(String.init).joined(separator: ", "))")
        }
        clock.wait(Double(abs(position - current)) * turn)
        current = position
    }

    public func position() throws -> Int { current }
}

/// A pump attenuator with a calibration from 0 (full power, 10 nJ) to 90 degrees (0.1 nJ).
public final class SimulatedAttenuator: LifecycleDevice, PumpAttenuator {
    public let settings: [Setting] = []
    public let calibration: AttenuatorCalibration
    var current = 0.0

    public init(calibration: AttenuatorCalibration? = nil) {
        self.calibration = calibration ?? (try! AttenuatorCalibration(settings: [0, 30, 60, 90], pulseEnergiesNJ: [10, 7.5, 2.5, 0.1]))
        super.init(name: "pump attenuator")
    }

    public func configure(_ values: [String: SettingValue]) throws {
        try lifecycle.take(.configure)
        guard values.isEmpty else { throw AcquisitionError(name, "has no settings besides its calibration") }
    }

    public func set(setting: Double) throws {
        try lifecycle.require([.configured, .armed, .running], for: "attenuate")
        guard let lo = calibration.settings.first, let hi = calibration.settings.last, setting >= lo, setting <= hi else {
            throw AcquisitionError(name, "setting \(setting) is outside the calibrated \(calibration.settings.first!)...\(calibration.settings.last!)")
        }
        current = setting
    }

    public func setting() throws -> Double { current }
}
