import FemtofitRelease
import Foundation

/// `dataset.json`, the description of a TAM dataset folder (schema `femtofit-dataset/1`,
/// docs/dataset-format.md): the scan axes, the pixel size, the instrument settings with units,
/// the software that wrote it, and an index saying which stack file and page holds each frame.
/// `femtofit acquire` writes it, `fit` and `analyze` read it, and other tools may write it too.
public struct DatasetManifest: Codable, Sendable, Equatable {
    /// The schema this version of femtofit reads and writes.
    public static let currentSchema = "femtofit-dataset/1"

    public var schema: String
    public var software: Software
    /// When the acquisition started, ISO 8601 (UTC).
    public var created: String?
    /// nm per camera pixel in the sample plane.
    public var pixelSizeNm: Double
    public var frameWidth: Int
    public var frameHeight: Int
    public var axes: ScanAxes
    /// Every instrument setting by name ("camera.exposure", "stage.passes", ...), with its unit.
    public var instrument: [String: InstrumentSetting]
    /// Where every frame is.
    public var frames: [FrameEntry]
    /// Camera pixels known to be bad, as [x, y] (column, row from 0): masked in every frame.
    /// Optional; femtofit also finds hot and dead pixels itself (`BadPixelMask`).
    public var badPixels: [[Int]]?

    public init(software: Software = .femtofit, created: String? = nil, pixelSizeNm: Double, frameWidth: Int, frameHeight: Int,
                axes: ScanAxes, instrument: [String: InstrumentSetting] = [:], frames: [FrameEntry] = []) {
        schema = Self.currentSchema
        self.software = software
        self.created = created
        self.pixelSizeNm = pixelSizeNm
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        self.axes = axes
        self.instrument = instrument
        self.frames = frames
    }

    enum CodingKeys: String, CodingKey {
        case schema, software, created, axes, instrument, frames
        case badPixels = "bad_pixels"
        case pixelSizeNm = "pixel_size_nm", frameWidth = "frame_width", frameHeight = "frame_height"
    }

    public struct Software: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public init(name: String, version: String) { self.name = name; self.version = version }
        public static let femtofit = Software(name: "femtofit", version: FemtofitVersion.current)
    }
}

/// The axes a dataset was scanned over. A frame's position on each is an index into these lists.
public struct ScanAxes: Codable, Sendable, Equatable {
    /// Pump-probe delays, fs, strictly increasing (frames before time zero are negative).
    public var delayFs: [Double]
    public var fluence: [Fluence]
    public var wavelengthNm: [Double]
    public var spot: [Spot]
    /// Repeated runs over the whole scan.
    public var runs: Int

    public init(delayFs: [Double], fluence: [Fluence] = [Fluence()], wavelengthNm: [Double] = [0], spot: [Spot] = [Spot()], runs: Int = 1) {
        self.delayFs = delayFs
        self.fluence = fluence
        self.wavelengthNm = wavelengthNm
        self.spot = spot
        self.runs = runs
    }

    enum CodingKeys: String, CodingKey {
        case fluence, spot, runs
        case delayFs = "delay_fs", wavelengthNm = "wavelength_nm"
    }

    /// One pump fluence: the mean number of absorbed photons per dot <N_abs> and the pulse energy.
    public struct Fluence: Codable, Sendable, Equatable {
        public var nAbs: Double?
        public var pulseEnergyNJ: Double?
        public init(nAbs: Double? = nil, pulseEnergyNJ: Double? = nil) { self.nAbs = nAbs; self.pulseEnergyNJ = pulseEnergyNJ }
        enum CodingKeys: String, CodingKey { case nAbs = "n_abs", pulseEnergyNJ = "pulse_energy_nj" }
    }

    /// One place on the sample: the sample stage's position, um.
    public struct Spot: Codable, Sendable, Equatable {
        public var xUm: Double
        public var yUm: Double
        public init(xUm: Double = 0, yUm: Double = 0) { self.xUm = xUm; self.yUm = yUm }
        enum CodingKeys: String, CodingKey { case xUm = "x_um", yUm = "y_um" }
    }
}

/// What a frame holds.
public enum FrameKind: String, Codable, Sendable, CaseIterable {
    /// Probe with the pump on, camera counts.
    case pumpOn = "pump_on"
    /// Probe with the pump blocked by the chopper, camera counts.
    case pumpOff = "pump_off"
    /// Camera with no light, counts.
    case dark
    /// A differential image ΔT/T computed already (by femtofit or by another tool).
    case dTT = "dt_t"
}

/// One frame of the index: its place on the axes (indices), its kind, and where it is stored.
/// Dark frames may leave axes out (nil): a dark frame without a delay applies to every delay.
public struct FrameEntry: Codable, Sendable, Equatable {
    public var delay: Int?
    public var fluence: Int?
    public var wavelength: Int?
    public var spot: Int?
    public var run: Int?
    public var kind: FrameKind
    /// The stack file, relative to the dataset folder.
    public var file: String
    /// The page of the stack, from 0.
    public var page: Int

    public init(delay: Int?, fluence: Int? = 0, wavelength: Int? = 0, spot: Int? = 0, run: Int? = 0, kind: FrameKind, file: String, page: Int) {
        self.delay = delay
        self.fluence = fluence
        self.wavelength = wavelength
        self.spot = spot
        self.run = run
        self.kind = kind
        self.file = file
        self.page = page
    }
}

/// An instrument setting: a number, text or a switch, with its unit where it has one.
public struct InstrumentSetting: Codable, Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case number(Double), text(String), flag(Bool)
    }
    public var value: Value
    public var unit: String?

    public init(_ value: Double, unit: String? = nil) { self.value = .number(value); self.unit = unit }
    public init(_ value: String) { self.value = .text(value); unit = nil }
    public init(_ value: Bool) { self.value = .flag(value); unit = nil }

    enum CodingKeys: String, CodingKey { case value, unit }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        unit = try container.decodeIfPresent(String.self, forKey: .unit)
        if let flag = try? container.decode(Bool.self, forKey: .value) {
            value = .flag(flag)
        } else if let number = try? container.decode(Double.self, forKey: .value) {
            value = .number(number)
        } else {
            value = .text(try container.decode(String.self, forKey: .value))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch value {
        case let .number(number): try container.encode(number, forKey: .value)
        case let .text(text): try container.encode(text, forKey: .value)
        case let .flag(flag): try container.encode(flag, forKey: .value)
        }
        try container.encodeIfPresent(unit, forKey: .unit)
    }
}
