import Foundation
import TAMData

/// What to measure (a scan plan, written in TOML): the delays, fluences, probe wavelengths and
/// spots, runs per point and pump-on/off frame pairs per run. `points` gives the order the
/// sequencer visits them in. Example (docs/acquisition.md has the full reference):
///
/// ```toml
/// name = "pure CQD film, three fluences"
/// runs = 2
/// pairs = 20
/// fluences_nj = [2, 5, 10]
/// wavelengths_nm = [800]
/// [delays]
/// pre_time_zero_fs = [-2000, -1000]
/// [[delays.segments]]
/// linear = { start = 0, stop = 1000, step = 200 }
/// [[delays.segments]]
/// log = { start = 2000, stop = 2000000, count = 12 }
/// [[spots]]
/// x_um = 0
/// y_um = 0
/// ```
public struct ScanPlan: Sendable, Equatable {
    public var name: String
    /// Delays, fs, strictly increasing (pre-time-zero ones first).
    public var delays: [Double]
    /// Pump pulse energies, nJ (set through the attenuator's calibration).
    public var pulseEnergiesNJ: [Double]
    public var wavelengthsNm: [Double]
    /// Sample-stage positions, µm.
    public var spots: [ScanAxes.Spot]
    public var runs: Int
    public var pairs: Int
    /// Camera settings for the scan, by setting name ("camera.exposure_ms").
    public var camera: [String: SettingValue]
    /// Dropped frames tolerated per point before the point is taken again.
    public var maximumDroppedFrames: Int
    /// Times a point is taken again after a device fault before the scan stops.
    public var retries: Int

    public init(name: String = "scan", delays: [Double], pulseEnergiesNJ: [Double] = [5], wavelengthsNm: [Double] = [800],
                spots: [ScanAxes.Spot] = [ScanAxes.Spot()], runs: Int = 1, pairs: Int = 10, camera: [String: SettingValue] = [:],
                maximumDroppedFrames: Int = 2, retries: Int = 2) {
        self.name = name; self.delays = delays; self.pulseEnergiesNJ = pulseEnergiesNJ; self.wavelengthsNm = wavelengthsNm
        self.spots = spots; self.runs = runs; self.pairs = pairs; self.camera = camera
        self.maximumDroppedFrames = maximumDroppedFrames; self.retries = retries
    }

    /// One place in the scan, by axis index.
    public struct Point: Sendable, Equatable, Hashable, Codable {
        public var delay: Int, fluence: Int, wavelength: Int, spot: Int, run: Int
        public init(delay: Int, fluence: Int, wavelength: Int, spot: Int, run: Int) {
            self.delay = delay; self.fluence = fluence; self.wavelength = wavelength; self.spot = spot; self.run = run
        }
    }

    /// Every point in acquisition order: wavelength, then fluence, spot and run, with the delay
    /// innermost (the delay stage moves most, the filter wheel least; a run is a full delay sweep).
    public var points: [Point] {
        var all: [Point] = []
        all.reserveCapacity(delays.count * pulseEnergiesNJ.count * wavelengthsNm.count * spots.count * runs)
        for w in wavelengthsNm.indices {
            for f in pulseEnergiesNJ.indices {
                for s in spots.indices {
                    for r in 0..<runs {
                        for d in delays.indices { all.append(Point(delay: d, fluence: f, wavelength: w, spot: s, run: r)) }
                    }
                }
            }
        }
        return all
    }

    /// Checks the plan on its own (sizes, order); `Instrument.validate` checks it against hardware.
    /// The ranges of the plan's counts.
    public static let runRange = 1...10_000, pairRange = 1...1_000_000
    /// The most points (delay, fluence, wavelength, spot, run) one scan may have.
    public static let maximumPoints = 1_000_000

    public func validate(file: String = "plan") throws {
        func fail(_ key: String, _ message: String) -> AcquisitionError { AcquisitionError(file, "\(key): \(message)") }
        guard !delays.isEmpty else { throw fail("delays", "no delays; give a list or segments") }
        for i in 1..<max(1, delays.count) where !(delays[i] > delays[i - 1]) {
            throw fail("delays", "\(delays[i]) fs follows \(delays[i - 1]) fs; delays must rise strictly (check overlapping segments)")
        }
        guard !pulseEnergiesNJ.isEmpty else { throw fail("fluences_nj", "no pulse energies") }
        if let bad = pulseEnergiesNJ.first(where: { !($0 >= 0) }) { throw fail("fluences_nj", "\(bad) nJ; pulse energies are >= 0") }
        guard Set(pulseEnergiesNJ).count == pulseEnergiesNJ.count else { throw fail("fluences_nj", "a pulse energy is listed twice") }
        guard !wavelengthsNm.isEmpty else { throw fail("wavelengths_nm", "no probe wavelengths") }
        if let bad = wavelengthsNm.first(where: { !($0 > 0) }) { throw fail("wavelengths_nm", "\(bad) nm; wavelengths are > 0") }
        guard Set(wavelengthsNm).count == wavelengthsNm.count else { throw fail("wavelengths_nm", "a wavelength is listed twice") }
        guard !spots.isEmpty else { throw fail("spots", "no spots") }
        guard Self.runRange.contains(runs) else { throw fail("runs", "\(runs); give 1 to 10000 runs per point") }
        guard Self.pairRange.contains(pairs) else { throw fail("pairs", "\(pairs); give 1 to 1000000 frame pairs per run") }
        // The point list is built in memory (and journalled): its size is checked before anything
        // is allocated for it.
        let sizes = [delays.count, pulseEnergiesNJ.count, wavelengthsNm.count, spots.count, runs]
        let count = sizes.reduce(1.0) { $0 * Double($1) }
        guard count <= Double(Self.maximumPoints) else {
            throw fail("runs", "the plan has \(sizes.map(String.init).joined(separator: " x ")) = \(String(format: "%.0f", count)) points (delays x fluences x wavelengths x spots x runs); at most \(Self.maximumPoints) fit in one scan: split it into several plans")
        }
        guard maximumDroppedFrames >= 0 else { throw fail("max_dropped_frames", "must be >= 0") }
        guard retries >= 0, retries <= 100 else { throw fail("retries", "give 0 to 100") }
    }
}

extension ScanPlan {
    /// Reads a plan from TOML; every error names the file and the key.
    public static func load(_ path: String) throws -> ScanPlan { try read(ConfigTable.load(path)) }

    public static func parse(_ text: String, file: String = "plan.toml") throws -> ScanPlan { try read(ConfigTable.parse(text, file: file)) }

    static func read(_ top: ConfigTable) throws -> ScanPlan {
        let name = try top.text("name") ?? "scan"
        let runs = try top.integer("runs", in: ScanPlan.runRange) ?? 1
        let pairs = try top.integer("pairs", in: ScanPlan.pairRange) ?? 10
        let energies = try top.numbers("fluences_nj") ?? [5]
        let wavelengths = try top.numbers("wavelengths_nm") ?? [800]
        let maximumDropped = try top.integer("max_dropped_frames", in: 0...1_000_000) ?? 2
        let retries = try top.integer("retries", in: 0...100) ?? 2
        guard let delayTable = try top.table("delays") else { throw top.error("delays", "is missing; add a [delays] table") }
        let delays = try readDelays(delayTable)
        var spots: [ScanAxes.Spot] = [ScanAxes.Spot()]
        if let tables = try top.tables("spots") {
            spots = try tables.map { t in
                let spot = ScanAxes.Spot(xUm: try t.requiredNumber("x_um"), yUm: try t.requiredNumber("y_um"))
                try t.rejectUnknownKeys()
                return spot
            }
        }
        var camera: [String: SettingValue] = [:]
        if let table = try top.table("camera") {
            for key in table.keys {
                switch table.raw(key) {
                case .integer(let v)?: camera["camera." + key] = .number(Double(v))
                case .real(let v)?: camera["camera." + key] = .number(v)
                case .text(let t)?: camera["camera." + key] = .text(t)
                case .flag(let b)?: camera["camera." + key] = .flag(b)
                default: throw table.error(key, "must be a number, text or true/false")
                }
            }
        }
        try top.rejectUnknownKeys()
        let plan = ScanPlan(name: name, delays: delays, pulseEnergiesNJ: energies, wavelengthsNm: wavelengths, spots: spots,
                            runs: runs, pairs: pairs, camera: camera, maximumDroppedFrames: maximumDropped, retries: retries)
        try plan.validate(file: top.file)
        return plan
    }

    /// `[delays]`: `list_fs`, `pre_time_zero_fs` (a list, or a linear segment table) and
    /// `[[delays.segments]]`, each `linear = {start, stop, step | count}` or
    /// `log = {start, stop, count}`; all merged, sorted, duplicates removed.
    static func readDelays(_ table: ConfigTable) throws -> [Double] {
        var delays = try table.numbers("list_fs") ?? []
        var before: [Double] = []
        switch table.raw("pre_time_zero_fs") {
        case nil: break
        case .array?: before = try table.numbers("pre_time_zero_fs") ?? []
        case .table?:
            let segment = try table.table("pre_time_zero_fs")!
            before = try linear(segment)
            try segment.rejectUnknownKeys()
        default: throw table.error("pre_time_zero_fs", "must be a list of delays or {start, stop, count}")
        }
        if let late = before.first(where: { $0 >= 0 }) { throw table.error("pre_time_zero_fs", "\(late) fs is not before time zero") }
        delays += before
        for segment in try table.tables("segments") ?? [] {
            if let linear = try segment.table("linear") {
                delays += try Self.linear(linear)
                try linear.rejectUnknownKeys()
            }
            if let log = try segment.table("log") {
                let start = try log.requiredNumber("start"), stop = try log.requiredNumber("stop")
                let count = try log.integer("count", in: 2...100_000) ?? 0
                guard start > 0, stop > start else { throw log.error(nil, "a log segment needs 0 < start < stop (\(start), \(stop))") }
                guard count >= 2, count <= 100_000 else { throw log.error("count", "give 2 to 100000 delays") }
                delays += (0..<count).map { start * pow(stop / start, Double($0) / Double(count - 1)) }
                try log.rejectUnknownKeys()
            }
            guard segment.has("linear") != segment.has("log") else {
                throw segment.error(nil, "give exactly one of linear = {start, stop, step} or log = {start, stop, count}")
            }
            try segment.rejectUnknownKeys()
        }
        try table.rejectUnknownKeys()
        // Rounded to 0.001 fs so segments that meet at a shared end give one delay.
        let rounded = Set(delays.map { ($0 * 1000).rounded() / 1000 })
        return rounded.sorted()
    }

    /// A linear segment: {start, stop, step} or {start, stop, count}, both ends included.
    static func linear(_ t: ConfigTable) throws -> [Double] {
        let start = try t.requiredNumber("start"), stop = try t.requiredNumber("stop")
        let step = try t.number("step"), count = try t.integer("count", in: 1...100_000)
        guard stop >= start else { throw t.error("stop", "\(stop) is below start \(start)") }
        switch (step, count) {
        case let (step?, nil):
            guard step > 0 else { throw t.error("step", "must be > 0") }
            let steps = ((stop - start) / step + 1e-9).rounded(.down)
            guard steps < 100_000 else { throw t.error("step", "gives \(String(format: "%.0f", steps + 1)) delays; at most 100000") }
            let n = Int(steps)
            return (0...n).map { start + Double($0) * step }
        case let (nil, count?):
            guard count >= 1, count <= 100_000 else { throw t.error("count", "give 1 to 100000 delays") }
            return count == 1 ? [start] : (0..<count).map { start + (stop - start) * Double($0) / Double(count - 1) }
        default:
            throw t.error(nil, "give step or count (one of them)")
        }
    }
}
