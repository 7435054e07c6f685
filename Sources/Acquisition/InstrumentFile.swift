import Foundation
import TAMData
import Physics

/// Builds an `Instrument` from an instrument file (TOML): one table per device naming its
/// `driver` and that driver's settings. Devices not named use the simulated microscope's; the
/// whole file is optional. docs/acquisition.md lists every key. Example:
///
/// ```toml
/// [clock]
/// mode = "real"                 # "virtual" (simulated only) or "real"
/// [delay_stage]
/// driver = "newport"            # simulated | newport | newport-emulator
/// port = "/dev/ttyUSB0"
/// baud = 921600
/// zero_mm = 12.5
/// [filter_wheel]
/// wavelengths_nm = [700, 750, 800, 850, 900, 950]
/// [pump]
/// wavelength_nm = 400
/// beam_radius_um = 1.5
/// ```
public enum InstrumentFile {
    public static let drivers: [String: [String]] = [
        "camera": ["simulated", "replay"],
        "delay_stage": ["simulated", "newport", "newport-emulator"],
        "sample_stage": ["simulated"],
        "chopper": ["simulated"],
        "filter_wheel": ["simulated"],
        "attenuator": ["simulated"],
    ]

    public static func load(_ path: String) throws -> Instrument { try build(ConfigTable.load(path)) }

    public static func parse(_ text: String, file: String = "instrument.toml") throws -> Instrument {
        try build(ConfigTable.parse(text, file: file))
    }

    static func driver(_ table: ConfigTable?, _ device: String) throws -> String {
        let name = try table?.text("driver") ?? "simulated"
        guard drivers[device]!.contains(name) else {
            throw (table ?? ConfigTable(file: "", path: device, entries: [:])).error("driver", "'\(name)' is not a \(device.replacingOccurrences(of: "_", with: " ")) driver femtofit has; it has \(drivers[device]!.joined(separator: ", "))")
        }
        return name
    }

    static func range(_ table: ConfigTable, _ key: String, default fallback: ClosedRange<Double>) throws -> ClosedRange<Double> {
        guard let values = try table.numbers(key) else { return fallback }
        guard values.count == 2, values[0] < values[1] else { throw table.error(key, "give [lowest, highest]") }
        return values[0]...values[1]
    }

    static func build(_ top: ConfigTable) throws -> Instrument {
        let tables = try ["clock", "sample", "camera", "delay_stage", "sample_stage", "chopper", "filter_wheel", "attenuator", "pump"]
            .reduce(into: [String: ConfigTable]()) { $0[$1] = try top.table($1) }
        try top.rejectUnknownKeys()
        let drivers = try Self.drivers.keys.reduce(into: [String: String]()) { $0[$1] = try driver(tables[$1], $1) }
        let hardware = drivers.values.contains { $0 != "simulated" && $0 != "replay" }
        let mode = try tables["clock"]?.text("mode") ?? (hardware ? "real" : "virtual")
        guard mode == "virtual" || mode == "real" else { throw tables["clock"]!.error("mode", "'\(mode)'; give \"virtual\" or \"real\"") }
        if mode == "virtual", hardware {
            throw tables["clock"]!.error("mode", "a virtual clock cannot time real or emulated hardware; use \"real\"")
        }
        try tables["clock"]?.rejectUnknownKeys()
        let clock: InstrumentClock = mode == "real" ? WallClock() : VirtualClock()

        // The sample the simulated camera looks at.
        var sample = SimulatedSample()
        var seed: UInt64 = 1
        if let t = tables["sample"] {
            switch try t.text("preset") ?? "pure-film" {
            case "pure-film": break
            case "heterostructure-40": sample.transport = { _ in .heterostructure40 }
            case "heterostructure-90": sample.transport = { _ in .heterostructure90 }
            case let other: throw t.error("preset", "'\(other)'; give pure-film, heterostructure-40 or heterostructure-90")
            }
            sample.nAbsPerNanojoule = try t.number("n_abs_per_nj", default: sample.nAbsPerNanojoule)
            sample.heterogeneity = try t.number("heterogeneity", default: sample.heterogeneity)
            sample.grainUm = try t.number("grain_um", default: sample.grainUm)
            guard sample.grainUm > 0, abs(sample.heterogeneity) < 1 else { throw t.error(nil, "give grain_um > 0 and |heterogeneity| < 1") }
            seed = UInt64(try t.integer("seed", in: 0...Int(1e15) - 1) ?? 1)
            try t.rejectUnknownKeys()
        }

        // Delay stage.
        let stageTable = tables["delay_stage"] ?? ConfigTable(file: top.file, path: "delay_stage", entries: [:])
        let zero = try stageTable.number("zero_mm", default: 2)
        let passes = try stageTable.integer("passes", in: 1...8) ?? 2
        let direction = try stageTable.integer("direction", in: -1...1) ?? 1
        guard abs(zero) <= 1000 else { throw stageTable.error("zero_mm", "\(zero) mm; give the stage position of time zero, within ±1000 mm") }
        guard direction == 1 || direction == -1 else { throw stageTable.error("direction", "give 1 or -1") }
        var emulator: NewportEmulator?
        let delayStage: DelayStage
        switch drivers["delay_stage"]! {
        case "newport", "newport-emulator":
            var port = try stageTable.text("port")
            let baud = try stageTable.integer("baud", in: 50...4_000_000) ?? 921_600
            let travel = try range(stageTable, "travel_mm", default: 0...25)
            if drivers["delay_stage"] == "newport-emulator" {
                let velocity = try stageTable.number("velocity_mm_s", default: 50)
                guard velocity > 0, velocity <= 1000 else { throw stageTable.error("velocity_mm_s", "give 0 to 1000 mm/s") }
                guard travel.contains(zero) else { throw stageTable.error("zero_mm", "\(zero) mm is outside travel_mm \(travel)") }
                let e = NewportEmulator(travel: travel, velocity: velocity)
                port = try e.serve()
                emulator = e
            }
            guard let port else { throw stageTable.error("port", "is missing; name the serial port (\"/dev/ttyUSB0\")") }
            let timeout = try stageTable.number("timeout_s", default: 0.5), tries = try stageTable.integer("tries", in: 1...20) ?? 3
            let address = try stageTable.integer("address", in: 1...31) ?? 1
            guard timeout >= 0.01, timeout <= 60 else { throw stageTable.error("timeout_s", "give 0.01 to 60 s per reply") }
            guard tries >= 1, tries <= 20 else { throw stageTable.error("tries", "give 1 to 20") }
            guard address >= 1, address <= 31 else { throw stageTable.error("address", "give the controller address, 1 to 31") }
            let link = try SerialPort(path: port, baud: baud, xonXoff: try stageTable.flag("xon_xoff") ?? false)
            let stage = NewportDelayStage(link: link, address: address, zeroMillimetres: zero, passes: passes,
                                          direction: direction, timeout: timeout, tries: tries)
            stage.emulator = emulator
            delayStage = stage
        default:
            let travel = try range(stageTable, "travel_mm", default: 0...25), speed = try stageTable.number("velocity_mm_s", default: 5)
            guard travel.contains(zero) else { throw stageTable.error("zero_mm", "\(zero) mm is outside travel_mm \(travel)") }
            guard speed >= 0.01, speed <= 100 else { throw stageTable.error("velocity_mm_s", "give 0.01 to 100 mm/s") }
            delayStage = SimulatedDelayStage(clock: clock, travel: travel, zeroMillimetres: zero, speed: speed)
        }
        var settings: [String: [String: SettingValue]] = [:]
        if !(delayStage is NewportDelayStage) {
            settings[delayStage.name] = ["stage.passes": .number(Double(passes)), "stage.direction": .number(Double(direction))]
        }
        try stageTable.rejectUnknownKeys()

        let sampleTable = tables["sample_stage"]
        let sampleStage = SimulatedSampleStage(clock: clock, travel: try sampleTable.map { try range($0, "travel_um", default: -5000...5000) } ?? -5000...5000)
        try sampleTable?.rejectUnknownKeys()

        let chopper = SimulatedChopper()
        if let t = tables["chopper"] {
            var values: [String: SettingValue] = [:]
            if let f = try t.number("frequency_hz") { values["chopper.frequency_hz"] = .number(f) }
            if let p = try t.number("phase_deg") { values["chopper.phase_deg"] = .number(p) }
            var check = chopper.settings
            do { try check.apply(values, device: chopper.name) } catch { throw t.error(nil, "\(error)") }
            settings[chopper.name] = values
            try t.rejectUnknownKeys()
        }

        var bands: [Int: Double] = [1: 700, 2: 750, 3: 800, 4: 850, 5: 900, 6: 950]
        if let t = tables["filter_wheel"], let list = try t.numbers("wavelengths_nm") {
            guard !list.isEmpty, list.allSatisfy({ $0 > 0 }) else { throw t.error("wavelengths_nm", "give the band-pass centre of each position, nm") }
            bands = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($0.offset + 1, $0.element) })
        }
        try tables["filter_wheel"]?.rejectUnknownKeys()
        let wheel = SimulatedFilterWheel(clock: clock, wavelengths: bands)

        var calibration: AttenuatorCalibration?
        if let t = tables["attenuator"] {
            let positions = try t.numbers("settings"), energies = try t.numbers("pulse_energies_nj")
            if positions != nil || energies != nil {
                do { calibration = try AttenuatorCalibration(settings: positions ?? [], pulseEnergiesNJ: energies ?? []) } catch {
                    throw t.error(nil, "calibration: \((error as? AcquisitionError)?.message ?? "\(error)")")
                }
            }
            try t.rejectUnknownKeys()
        }
        let attenuator = SimulatedAttenuator(calibration: calibration)

        // Camera.
        let cameraTable = tables["camera"] ?? ConfigTable(file: top.file, path: "camera", entries: [:])
        var pixelSize = try cameraTable.number("pixel_size_nm")
        if let pixelSize, let problem = PixelSizeRange.problem(pixelSize, source: nil) { throw cameraTable.error("pixel_size_nm", problem) }
        let sensor = try cameraTable.integer("sensor", in: 8...4096) ?? 64
        let camera: Camera
        var simulatedCamera: SimulatedCamera?
        switch drivers["camera"]! {
        case "replay":
            guard let path = try cameraTable.text("path") else { throw cameraTable.error("path", "is missing; name the dataset folder to play back") }
            let replay = try ReplayCamera(dataset: Dataset.open(path), clock: clock, stage: delayStage, chopper: chopper, wheel: wheel, attenuator: attenuator)
            replay.sampleStage = sampleStage
            // The recording's pixel size unless the file says otherwise.
            pixelSize = pixelSize ?? replay.recording.pixelSizeNm
            camera = replay
        default:
            let c = SimulatedCamera(clock: clock, stage: delayStage, chopper: chopper, wheel: wheel, attenuator: attenuator,
                                    sensorWidth: sensor, sensorHeight: sensor, seed: seed, trigger: "external")
            c.sample = sample
            c.sampleStage = sampleStage
            pixelSize = pixelSize ?? c.pixelSizeNm
            c.pixelSizeNm = pixelSize!
            simulatedCamera = c
            camera = c
        }
        try cameraTable.rejectUnknownKeys()

        var extra: [String: InstrumentSetting] = [:]
        if let t = tables["pump"] {
            for (key, unit) in [("wavelength_nm", "nm"), ("beam_radius_um", "µm")] {
                if let v = try t.number(key) {
                    guard v > 0 else { throw t.error(key, "must be > 0") }
                    extra["pump." + key] = InstrumentSetting(v, unit: unit)
                }
            }
            if let v = try t.number("cross_section_cm2") { extra["sample.cross_section_cm2"] = InstrumentSetting(v, unit: "cm²") }
            if let v = try t.text("fluence_convention") {
                guard v == "peak" || v == "average" else { throw t.error("fluence_convention", "give \"peak\" or \"average\"") }
                extra["pump.fluence_convention"] = InstrumentSetting(v)
            }
            try t.rejectUnknownKeys()
        }

        let simulated: SimulatedMicroscope? = {
            guard let simulatedCamera, let stage = delayStage as? SimulatedDelayStage else { return nil }
            return SimulatedMicroscope(camera: simulatedCamera, delayStage: stage, sampleStage: sampleStage, chopper: chopper,
                                       filterWheel: wheel, attenuator: attenuator)
        }()
        let instrument = Instrument(clock: clock, camera: camera, delayStage: delayStage, sampleStage: sampleStage, chopper: chopper,
                                    filterWheel: wheel, attenuator: attenuator, pixelSizeNm: pixelSize ?? 55.6, source: top.file, simulated: simulated)
        instrument.extraSettings = extra
        instrument.configuration = settings
        return instrument
    }
}
