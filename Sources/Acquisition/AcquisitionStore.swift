#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TextInput
import TAMData

/// The acquisition folder, written so that a kill -9 at any moment loses at most the point being
/// taken. Each finished point is one small TIFF (ΔT/T, mean pump-on, mean pump-off), written
/// atomically; then one line in `points.jsonl`, flushed to disk. `acquisition.json` holds the plan
/// the folder was started with, so `--resume` can refuse a different one. `dataset.json` (the
/// `femtofit-dataset/1` index) is written, atomically, when the last point is in.
///
/// ```
/// DIR/acquisition.json   plan, instrument, start time
/// DIR/points.jsonl       one line per finished point (the journal)
/// DIR/acquisition.log    what happened, in words (faults, retries, the reason for a stop)
/// DIR/points/w0_f1_s0_r0_d012.tif
/// DIR/dataset.json       when complete
/// ```
public final class AcquisitionStore {
    public let folder: String
    public let plan: ScanPlan
    /// Finished points, from the journal.
    public private(set) var done: [ScanPlan.Point: PointRecord] = [:]
    private var journal: FileHandle?
    private var logHandle: FileHandle?

    /// What the journal keeps per finished point.
    public struct PointRecord: Codable, Equatable, Sendable {
        public var point: ScanPlan.Point
        public var file: String
        public var pairs: Int
        /// Frame-counter gaps and frames whose chopper tag broke the on/off alternation.
        public var droppedFrames: Int
        public var unpairedFrames: Int
        public var saturatedPixels: Int
        /// Instrument clock at the end of the point, s.
        public var time: Double
        public var attempts: Int
        /// True for a point whose whole file was found on resume without its journal line (an
        /// emptied or deleted journal, or a kill between the file and its line): the frames are
        /// kept, but the counts above are not known (pairs is the plan's, the others 0).
        public var adopted: Bool?
    }

    /// What `acquisition.json` records.
    struct Header: Codable, Equatable {
        var schema = "femtofit-acquisition/1"
        var name: String
        var delaysFs: [Double]
        var pulseEnergiesNJ: [Double]
        var wavelengthsNm: [Double]
        var spots: [ScanAxes.Spot]
        var runs: Int
        var pairs: Int
        var frameWidth: Int
        var frameHeight: Int
        var pixelSizeNm: Double
        var created: String
        var instrument: [String: InstrumentSetting]

        /// The parts that must match for a resume.
        func sameScan(as other: Header) -> Bool {
            delaysFs == other.delaysFs && pulseEnergiesNJ == other.pulseEnergiesNJ && wavelengthsNm == other.wavelengthsNm
                && spots == other.spots && runs == other.runs && pairs == other.pairs
                && frameWidth == other.frameWidth && frameHeight == other.frameHeight
        }

        /// Instrument settings that change what a point means (where time zero is, the delay scale,
        /// the camera's pixels and exposure); a resume must keep them.
        static let defining = ["stage.zero_mm", "stage.passes", "stage.direction", "camera.pixel_size_nm", "camera.binning",
                               "camera.roi_x", "camera.roi_y", "camera.roi_width", "camera.roi_height", "camera.exposure_ms",
                               "camera.em_gain", "camera.trigger", "chopper.frequency_hz"]

        /// The defining settings that differ from `other`'s, as "name: then → now".
        func changedSettings(from other: Header) -> [String] {
            Self.defining.compactMap { key in
                let then = other.instrument[key], now = instrument[key]
                guard then != now else { return nil }
                return "\(key): \(then.map { "\($0.value)" } ?? "unset") → \(now.map { "\($0.value)" } ?? "unset")"
            }
        }
    }

    let header: Header
    public static let headerName = "acquisition.json"
    public static let journalName = "points.jsonl"
    public static let logName = "acquisition.log"

    /// Opens `folder` for `plan`. A new scan needs a folder without an acquisition in it; a resume
    /// needs the same scan as the one started there, and reads which points are done.
    public init(folder: String, plan: ScanPlan, frameWidth: Int, frameHeight: Int, pixelSizeNm: Double,
                instrument: [String: InstrumentSetting], resume: Bool) throws {
        self.folder = folder
        self.plan = plan
        let fresh = Header(name: plan.name, delaysFs: plan.delays, pulseEnergiesNJ: plan.pulseEnergiesNJ,
                           wavelengthsNm: plan.wavelengthsNm, spots: plan.spots, runs: plan.runs, pairs: plan.pairs,
                           frameWidth: frameWidth, frameHeight: frameHeight, pixelSizeNm: pixelSizeNm,
                           created: ISO8601DateFormatter().string(from: Date()), instrument: instrument)
        let headerPath = folder + "/" + Self.headerName
        let exists = FileManager.default.fileExists(atPath: headerPath)
        if resume {
            guard exists else {
                throw AcquisitionError(folder, "has no acquisition to resume (no \(Self.headerName)); run without --resume to start one")
            }
            let stored: Header
            do { stored = try JSONDecoder().decode(Header.self, from: Data(contentsOf: URL(fileURLWithPath: headerPath))) } catch {
                throw AcquisitionError(headerPath, "cannot be read (\(error)); the folder is not a femtofit acquisition")
            }
            guard stored.sameScan(as: fresh) else {
                throw AcquisitionError(folder, "was started with a different plan or camera frame (delays, fluences, wavelengths, spots, runs, pairs or frame size differ); resume with the plan it was started with, or start a new folder")
            }
            let changed = fresh.changedSettings(from: stored)
            guard changed.isEmpty else {
                throw AcquisitionError(folder, "was started with other instrument settings (\(changed.joined(separator: "; "))); the points would not be comparable. Resume with the instrument file it was started with, or start a new folder")
            }
            header = stored
        } else {
            if exists {
                throw AcquisitionError(folder, "already holds an acquisition; add --resume to continue it, or choose another --output folder")
            }
            if FileManager.default.fileExists(atPath: folder + "/" + Self.journalName) {
                throw AcquisitionError(folder, "holds a journal (\(Self.journalName)) without \(Self.headerName); it is left from another acquisition. Move it aside or choose another --output folder")
            }
            let leftovers = Self.pointFiles(in: folder)
            if let first = leftovers.first {
                throw AcquisitionError(folder, "holds \(leftovers.count) point file\(leftovers.count == 1 ? "" : "s") (\(first)\(leftovers.count > 1 ? ", ..." : "")) without \(Self.headerName), left from another acquisition; a new scan would overwrite them. Move the points folder aside or choose another --output folder")
            }
            header = fresh
            do { try SystemError.createFolder(folder + "/points") } catch {
                throw OutputError(folder, "cannot create the output folder: \(error)")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(header), to: headerPath)
        }
        try FileManager.default.createDirectory(atPath: folder + "/points", withIntermediateDirectories: true)
        lock = try Self.lock(folder)
        try readJournal()
        let orphans = try unjournalledPoints()
        journal = try Self.appendHandle(folder + "/" + Self.journalName)
        logHandle = try Self.appendHandle(folder + "/" + Self.logName)
        if !orphans.isEmpty {
            for record in orphans { try appendToJournal(record) }
            log("adopted \(orphans.count) whole point file(s) that the journal did not list (first \(orphans[0].file)); their frame counts are unknown")
        }
    }

    /// The names of the `.tif` files in `folder/points`, sorted.
    static func pointFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/points")) ?? []
        return names.filter { $0.hasSuffix(".tif") && !$0.hasPrefix(".") }.sorted().map { "points/" + $0 }
    }

    /// Point files of this plan on disk whose points the journal does not list (its lines were
    /// lost, or a kill came between a file and its line). Resume never overwrites a file it did
    /// not write: a whole one (3 pages of this scan's frame size) is adopted as done; any other
    /// stops the resume, named, so that nothing is lost.
    private func unjournalledPoints() throws -> [PointRecord] {
        let onDisk = Set(Self.pointFiles(in: folder))
        guard !onDisk.isEmpty else { return [] }
        var adopted: [PointRecord] = []
        var damaged: [String] = []
        for point in plan.points where done[point] == nil {
            let file = Self.fileName(point)
            guard onDisk.contains(file) else { continue }
            if let shape = try? TIFFStack.shape(folder + "/" + file), shape.pages == 3,
               shape.width == header.frameWidth, shape.height == header.frameHeight {
                let record = PointRecord(point: point, file: file, pairs: plan.pairs, droppedFrames: 0, unpairedFrames: 0,
                                         saturatedPixels: 0, time: 0, attempts: 0, adopted: true)
                adopted.append(record)
                done[point] = record
            } else {
                damaged.append(file)
            }
        }
        if let first = damaged.first {
            throw AcquisitionError(folder + "/" + first, "is a point file the journal does not list and it is not a whole point (3 pages of \(header.frameWidth)x\(header.frameHeight))\(damaged.count > 1 ? ", and \(damaged.count - 1) more like it" : ""); resume will not overwrite it. Move it (or them) out of \(folder)/points and resume to take those points again")
        }
        return adopted
    }

    deinit { finish() }

    /// Closes the journal and the log and releases the folder's lock (also done when the store
    /// goes away); the store writes nothing after it.
    public func finish() {
        try? journal?.close()
        try? logHandle?.close()
        journal = nil
        logHandle = nil
        if lock >= 0 { close(lock) }
        lock = -1
    }

    private var lock: Int32 = -1

    /// Takes `DIR/.lock` for as long as the store is open (the kernel drops it when the process
    /// dies, even by kill -9), so two acquisitions cannot write one folder.
    private static func lock(_ folder: String) throws -> Int32 {
        let path = folder + "/.lock"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw AcquisitionError(path, "cannot be created; check permissions") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw AcquisitionError(folder, "is being written by another femtofit acquire; wait for it, or stop it first")
        }
        return fd
    }

    /// Reads the journal; a line cut short by a kill is dropped (and cut from the file), a point
    /// whose file is gone is not counted as done.
    private func readJournal() throws {
        let path = folder + "/" + Self.journalName
        guard let data = FileManager.default.contents(atPath: path) else { return }
        var keep = 0
        var offset = 0
        let points = Set(plan.points)
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let end = offset + line.count
            defer { offset = end + 1 }
            guard end < data.count else { break }  // no newline: cut short
            guard let record = try? JSONDecoder().decode(PointRecord.self, from: Data(line)) else {
                throw AcquisitionError(path, "line \(done.count + 1) is not a point record; the journal is damaged (move it aside to start over)")
            }
            keep = end + 1
            guard points.contains(record.point) else {
                throw AcquisitionError(path, "names a point outside the plan (\(record.point)); resume with the plan the folder was started with")
            }
            // A point counts when its file is whole (after a power cut the journal may be ahead).
            if (try? TIFFStack.shape(folder + "/" + record.file))?.pages == 3 { done[record.point] = record }
        }
        if keep < data.count { truncate(path, off_t(keep)) }
    }

    private static func appendHandle(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil) {
            throw AcquisitionError(path, "cannot be created; check permissions and free space")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw AcquisitionError(path, "cannot be opened for writing; check permissions and free space")
        }
        try handle.seekToEnd()
        return handle
    }

    /// The file name of `point`'s frames.
    public static func fileName(_ point: ScanPlan.Point) -> String {
        let d = String(point.delay), padded = String(repeating: "0", count: max(0, 4 - d.count)) + d
        return "points/w\(point.wavelength)_f\(point.fluence)_s\(point.spot)_r\(point.run)_d\(padded).tif"
    }

    /// Writes `point`'s frames (ΔT/T, mean pump-on, mean pump-off), then its journal line, flushed.
    public func commit(_ point: ScanPlan.Point, dTT: [Float], pumpOn: [Float], pumpOff: [Float], record: PointRecord) throws {
        let w = header.frameWidth, h = header.frameHeight
        let file = Self.fileName(point)
        // Only a point this store has not finished may be written, and never over a file it did
        // not write (one that appeared after the store was opened).
        guard done[point] == nil, !FileManager.default.fileExists(atPath: folder + "/" + file) else {
            throw AcquisitionError(folder + "/" + file, "exists already and this run did not write it; femtofit will not overwrite a point file. Move it aside and resume")
        }
        let pages = [dTT, pumpOn, pumpOff].map { ImageStack(width: w, height: h, pixels: $0) }
        let labels = ["dt_t", "pump_on", "pump_off"].map { "\($0) \(describePoint(point))" }
        try TIFFStack.write(pages: pages, to: folder + "/" + file, imageJ: ImageJMetadata(pixelSize: header.pixelSizeNm, frameLabels: labels))
        try appendToJournal(record)
        done[point] = record
    }

    /// Appends `record` to the journal as one line, flushed to disk.
    private func appendToJournal(_ record: PointRecord) throws {
        var line = try JSONEncoder().encode(record)
        line.append(UInt8(ascii: "\n"))
        if let journal {
            let end = try journal.offset()
            do {
                try journal.write(contentsOf: line)
                try journal.synchronize()
            } catch {
                // A part-written line (a full disk) is cut off again, so the journal stays readable.
                try? journal.truncate(atOffset: end)
                throw AcquisitionError(folder + "/" + Self.journalName, "cannot append: \(SystemError.words(error))")
            }
        }
    }

    /// Appends a line to `acquisition.log` (with the wall-clock time).
    public func log(_ message: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        try? logHandle?.write(contentsOf: Data("\(stamp) \(message)\n".utf8))
    }

    public func describePoint(_ p: ScanPlan.Point) -> String {
        "delay \(plan.delays[p.delay]) fs, \(plan.pulseEnergiesNJ[p.fluence]) nJ, \(plan.wavelengthsNm[p.wavelength]) nm, spot \(p.spot), run \(p.run)"
    }

    public var isComplete: Bool { done.count == plan.points.count }

    /// Writes `dataset.json` over the finished points (every point must be in) and opens it, so a
    /// damaged frame file is found here, not by the fit.
    @discardableResult
    public func writeDataset(nAbsPerPoint: [Double?]) throws -> Dataset {
        guard isComplete else {
            throw AcquisitionError(folder, "\(plan.points.count - done.count) points are missing; resume the acquisition to take them")
        }
        var frames: [FrameEntry] = []
        for point in plan.points {
            let file = done[point]!.file
            for (page, kind) in [FrameKind.dTT, .pumpOn, .pumpOff].enumerated() {
                frames.append(FrameEntry(delay: point.delay, fluence: point.fluence, wavelength: point.wavelength, spot: point.spot,
                                         run: point.run, kind: kind, file: file, page: page))
            }
        }
        let fluences = plan.pulseEnergiesNJ.enumerated().map { i, e in ScanAxes.Fluence(nAbs: nAbsPerPoint.indices.contains(i) ? nAbsPerPoint[i] : nil, pulseEnergyNJ: e) }
        let axes = ScanAxes(delayFs: plan.delays, fluence: fluences, wavelengthNm: plan.wavelengthsNm, spot: plan.spots, runs: plan.runs)
        let manifest = DatasetManifest(created: header.created, pixelSizeNm: header.pixelSizeNm, frameWidth: header.frameWidth,
                                       frameHeight: header.frameHeight, axes: axes, instrument: header.instrument, frames: frames)
        // Every frame file is checked before the index that points at them is written.
        for record in done.values {
            let path = folder + "/" + record.file
            guard let shape = try? TIFFStack.shape(path), shape.pages == 3, shape.width == header.frameWidth, shape.height == header.frameHeight else {
                throw AcquisitionError(path, "is damaged; delete its line from \(Self.journalName) and resume to take the point again")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = folder + "/" + Dataset.manifestName
        try AtomicFile.write(try encoder.encode(manifest), to: path)
        do { return try Dataset.open(folder) } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}
