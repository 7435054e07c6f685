import Foundation
import TextInput

/// A TAM dataset folder: `dataset.json` (`DatasetManifest`) and the TIFF stacks it indexes
/// (docs/dataset-format.md). Opening one checks the manifest against itself and against the
/// stacks, and an error names the file, the frame and what to do; reading a frame checks it again.
public struct Dataset: Sendable {
    public static let manifestName = "dataset.json"

    public let folder: String
    public let manifest: DatasetManifest

    /// Opens and checks the dataset in `folder`.
    public static func open(_ folder: String) throws -> Dataset {
        let path = folder + "/" + manifestName
        guard let data = FileManager.default.contents(atPath: path).map(TextFile.withoutByteOrderMark) else {
            throw TAMDataError(path, FileManager.default.fileExists(atPath: folder)
                ? "no dataset.json here; a dataset folder holds dataset.json and its frame stacks (docs/dataset-format.md)"
                : "no such folder")
        }
        try checkSchema(data, path: path)
        let manifest: DatasetManifest
        do {
            manifest = try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw TAMDataError(path, "\(describe(context.codingPath + [key])) is missing; see docs/dataset-format.md for the fields")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw TAMDataError(path, "\(describe(context.codingPath)) has the wrong type (\(context.debugDescription)); see docs/dataset-format.md for the fields")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            // Well-formed JSON (checkSchema parsed it) with a value the field cannot take: 1.5
            // runs, an unknown frame kind.
            throw TAMDataError(path, "\(describe(context.codingPath)) has a value it cannot take (\(context.debugDescription)); see docs/dataset-format.md for the fields")
        } catch {
            // Foundation reports a number that does not fit an Int (1.5 runs) as invalid JSON with
            // no path; checkSchema parsed the file, so find the field here.
            if let problem = wholeNumberProblem(data) { throw TAMDataError(path, problem) }
            throw TAMDataError(path, "is not valid JSON (\(error)); was the file cut short?")
        }
        let dataset = Dataset(folder: folder, manifest: manifest)
        try dataset.check(manifestPath: path)
        try dataset.checkStacks()
        return dataset
    }

    /// Writes `manifest` and its `stacks` (file name → frames, one page each) into `folder`,
    /// which is created if missing. Everything is checked before anything is written; each stack
    /// is written atomically and `dataset.json` last, so a crash never leaves an index pointing at
    /// missing frames. Stacks over 4 GB are written as BigTIFF.
    public static func write(_ manifest: DatasetManifest, stacks: [String: ImageStack], to folder: String,
                             format: TIFFStack.SampleFormat = .float32) throws {
        let path = folder + "/" + manifestName
        let dataset = Dataset(folder: folder, manifest: manifest)
        try dataset.check(manifestPath: path)
        for (file, entries) in Dictionary(grouping: manifest.frames, by: \.file) {
            guard let stack = stacks[file] else { throw TAMDataError(path, "the index names \(file), but no frames were given for it") }
            guard stack.width == manifest.frameWidth, stack.height == manifest.frameHeight else {
                throw TAMDataError(folder + "/" + file, "frames are \(stack.width)x\(stack.height) but the dataset's are \(manifest.frameWidth)x\(manifest.frameHeight)")
            }
            if let last = entries.map(\.page).max(), last >= stack.frameCount {
                throw TAMDataError(folder + "/" + file, "the index wants page \(last) but \(stack.frameCount) frames were given")
            }
        }
        do { try SystemError.createFolder(folder) } catch {
            throw OutputError(folder, "cannot create the dataset folder: \(error)")
        }
        for (file, stack) in stacks.sorted(by: { $0.key < $1.key }) {
            // Fiji shows each page with its place in the scan as the slice label.
            var labels = [String](repeating: "", count: stack.frameCount)
            for entry in manifest.frames where entry.file == file { labels[entry.page] = dataset.describe(entry) }
            try TIFFStack.write(stack, to: folder + "/" + file, format: format,
                                imageJ: ImageJMetadata(pixelSize: manifest.pixelSizeNm, frameLabels: labels))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(manifest), to: path)
    }

    /// The pixels of one frame, row-major float32. An all-NaN frame (a failed exposure) is refused.
    public func frame(_ entry: FrameEntry) throws -> [Float] {
        let path = folder + "/" + entry.file
        let frame = try TIFFStack.readPage(path, page: entry.page)
        guard frame.width == manifest.frameWidth, frame.height == manifest.frameHeight else {
            throw TAMDataError(path, "page \(entry.page) (\(describe(entry))) is \(frame.width)x\(frame.height) but dataset.json says frames are \(manifest.frameWidth)x\(manifest.frameHeight)")
        }
        if !frame.pixels.contains(where: { !$0.isNaN }) {
            throw TAMDataError(path, "page \(entry.page) (\(describe(entry))) is all NaN, a failed exposure; acquire it again or take it out of the index")
        }
        return frame.pixels
    }

    /// The index entries of one kind at one point of the axes (dark frames: also those that leave
    /// the axis out).
    public func entries(_ kind: FrameKind, delay: Int, fluence: Int = 0, wavelength: Int = 0, spot: Int = 0, run: Int = 0) -> [FrameEntry] {
        func matches(_ value: Int?, _ wanted: Int) -> Bool { value == wanted || (kind == .dark && value == nil) }
        return manifest.frames.filter {
            $0.kind == kind && matches($0.delay, delay) && matches($0.fluence, fluence) && matches($0.wavelength, wavelength)
                && matches($0.spot, spot) && matches($0.run, run)
        }
    }

    /// Whether any delay is before time zero (background and time-zero finding need some).
    public var hasPreTimeZeroFrames: Bool { manifest.axes.delayFs.contains { $0 < 0 } }

    // MARK: Checks

    /// The first field that must hold a whole number and does not (frame sizes, axes.runs, the
    /// frames' indices and pages, bad pixels), in words; nil when all do.
    static func wholeNumberProblem(_ data: Data) -> String? {
        guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        func problem(_ value: Any?, _ name: String) -> String? {
            guard let value, !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber, case let v = number.doubleValue, v == v.rounded(), abs(v) < 1e15 else {
                let shown = value is String ? "\"\(value)\"" : "\(value)"
                return "\(name) is \(shown); it must be a whole number (see docs/dataset-format.md for the fields)"
            }
            return nil
        }
        for key in ["frame_width", "frame_height"] { if let p = problem(top[key], key) { return p } }
        if let p = problem((top["axes"] as? [String: Any])?["runs"], "axes.runs") { return p }
        for (i, frame) in ((top["frames"] as? [Any]) ?? []).enumerated() {
            guard let frame = frame as? [String: Any] else { continue }
            for key in ["delay", "fluence", "wavelength", "spot", "run", "page"] {
                if let p = problem(frame[key], "frames[\(i)].\(key)") { return p }
            }
        }
        for (i, pixel) in ((top["bad_pixels"] as? [Any]) ?? []).enumerated() {
            for (j, value) in ((pixel as? [Any]) ?? []).enumerated() {
                if let p = problem(value, "bad_pixels[\(i)][\(j)]") { return p }
            }
        }
        return nil
    }

    static func checkSchema(_ data: Data, path: String) throws {
        struct Header: Decodable { let schema: String? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw TAMDataError(path, "is not a JSON object (was the file cut short?); a dataset.json reads {\"schema\": \"\(DatasetManifest.currentSchema)\", ...}")
        }
        guard let schema = header.schema else {
            throw TAMDataError(path, "has no \"schema\"; this femtofit reads \(DatasetManifest.currentSchema)")
        }
        guard schema == DatasetManifest.currentSchema else {
            let prefix = "femtofit-dataset/"
            if schema.hasPrefix(prefix), let version = Int(schema.dropFirst(prefix.count)), version > 1 {
                throw TAMDataError(path, "was written with schema \(schema), newer than this femtofit reads (\(DatasetManifest.currentSchema)); update femtofit")
            }
            throw TAMDataError(path, "has schema \"\(schema)\", which femtofit does not know; it reads \(DatasetManifest.currentSchema)")
        }
    }

    /// The manifest on its own: axes, index ranges, duplicates and completeness.
    func check(manifestPath path: String) throws {
        let m = manifest, axes = m.axes
        if let problem = PixelSizeRange.problem(m.pixelSizeNm, source: "pixel_size_nm") { throw TAMDataError(path, problem) }
        guard m.frameWidth > 0, m.frameHeight > 0 else { throw TAMDataError(path, "frames are \(m.frameWidth)x\(m.frameHeight); both sizes must be positive") }
        guard !axes.delayFs.isEmpty else { throw TAMDataError(path, "axes.delay_fs is empty; a dataset needs at least one delay") }
        for (i, delay) in axes.delayFs.enumerated() {
            guard delay.isFinite else { throw TAMDataError(path, "axes.delay_fs[\(i)] is not a number") }
            if i > 0, delay <= axes.delayFs[i - 1] {
                let problem = delay == axes.delayFs[i - 1] ? "repeats \(delay) fs" : "= \(delay) fs comes after \(axes.delayFs[i - 1]) fs"
                throw TAMDataError(path, "axes.delay_fs[\(i)] \(problem); delays must be strictly increasing (sort them, merge repeats, and renumber the frames' delay indices)")
            }
        }
        guard !axes.fluence.isEmpty, !axes.wavelengthNm.isEmpty, !axes.spot.isEmpty, axes.runs > 0 else {
            throw TAMDataError(path, "axes.fluence, axes.wavelength_nm and axes.spot need at least one entry each and axes.runs at least 1")
        }
        for (i, pixel) in (m.badPixels ?? []).enumerated() {
            guard pixel.count == 2, (0..<m.frameWidth).contains(pixel[0]), (0..<m.frameHeight).contains(pixel[1]) else {
                throw TAMDataError(path, "bad_pixels[\(i)] is \(pixel); give [x, y] with 0 <= x < \(m.frameWidth) and 0 <= y < \(m.frameHeight)")
            }
        }
        let sizes = (delay: axes.delayFs.count, fluence: axes.fluence.count, wavelength: axes.wavelengthNm.count, spot: axes.spot.count, run: axes.runs)
        // Every point of the axes needs at least one frame in the index, so the axes can claim no
        // more points than the index lists frames: checked before anything is sized by them (a
        // claimed 10^15 runs would otherwise be looped over and allocated for).
        let claimed = [sizes.delay, sizes.fluence, sizes.wavelength, sizes.spot, sizes.run].reduce(1.0) { $0 * Double($1) }
        guard claimed <= Double(m.frames.count) else {
            throw TAMDataError(path, "the axes claim \(sizes.delay) delays x \(sizes.fluence) fluences x \(sizes.wavelength) wavelengths x \(sizes.spot) spots x \(sizes.run) runs = \(String(format: "%.0f", claimed)) points, but the index lists only \(m.frames.count) frames and every point needs one; the axes (axes.runs, axes.spot, ...) or the index are wrong")
        }
        var seen: [String: Int] = [:]
        for (number, entry) in m.frames.enumerated() {
            let name = "frames[\(number)] (\(describe(entry)))"
            for (axis, value, size) in [("delay", entry.delay, sizes.delay), ("fluence", entry.fluence, sizes.fluence),
                                        ("wavelength", entry.wavelength, sizes.wavelength), ("spot", entry.spot, sizes.spot), ("run", entry.run, sizes.run)] {
                guard let value else {
                    if entry.kind == .dark { continue }
                    throw TAMDataError(path, "\(name) has no \(axis); only dark frames may leave an axis out")
                }
                guard (0..<size).contains(value) else {
                    throw TAMDataError(path, "\(name) has \(axis) index \(value), but the axis has \(size) entries (0 to \(size - 1))")
                }
            }
            guard !entry.file.isEmpty, !entry.file.hasPrefix("/"), !entry.file.split(separator: "/").contains("..") else {
                throw TAMDataError(path, "\(name) names the file \"\(entry.file)\"; stack files are named relative to the dataset folder, inside it")
            }
            guard entry.page >= 0 else { throw TAMDataError(path, "\(name) has page \(entry.page); pages count from 0") }
            let key = "\(entry.kind.rawValue) \(entry.delay ?? -1) \(entry.fluence ?? -1) \(entry.wavelength ?? -1) \(entry.spot ?? -1) \(entry.run ?? -1)"
            if let first = seen[key] {
                throw TAMDataError(path, "\(name) repeats frames[\(first)]: two frames of one kind at one point; remove one from the index")
            }
            seen[key] = number
        }
        // Every point needs a ΔT/T frame, or a pump-on and a pump-off frame to compute it from.
        var missingCount = 0, firstMissing: String?
        for run in 0..<sizes.run {
            for spot in 0..<sizes.spot {
                for wavelength in 0..<sizes.wavelength {
                    for fluence in 0..<sizes.fluence {
                        for delay in 0..<sizes.delay {
                            func has(_ kind: FrameKind) -> Bool { seen["\(kind.rawValue) \(delay) \(fluence) \(wavelength) \(spot) \(run)"] != nil }
                            if has(.dTT) || (has(.pumpOn) && has(.pumpOff)) { continue }
                            let lacking = [FrameKind.pumpOn, .pumpOff].filter { !has($0) }.map(\.rawValue).joined(separator: " and ")
                            missingCount += 1
                            if firstMissing == nil {
                                firstMissing = "delay \(axes.delayFs[delay]) fs (index \(delay)), fluence \(fluence), wavelength \(wavelength), spot \(spot), run \(run): no \(lacking) frame"
                            }
                        }
                    }
                }
            }
        }
        if let first = firstMissing {
            throw TAMDataError(path, "\(missingCount) frame\(missingCount == 1 ? " is" : "s are") missing, first at \(first); the acquisition may have stopped early: resume it, or take the incomplete run out of the axes")
        }
    }

    /// The stacks the index names: present, readable, large enough, with frames of the right size.
    ///
    /// Symbolic links are followed (a dataset may link stacks kept on another disk; names stay
    /// inside the folder lexically, see `check`), but what a name resolves to must be a regular
    /// file: a link to a device, a pipe or a folder (`/dev/zero`, a FIFO that never ends) is
    /// refused before it is opened. See docs/dataset-format.md, "Symbolic links".
    func checkStacks() throws {
        for (file, entries) in Dictionary(grouping: manifest.frames, by: \.file).sorted(by: { $0.key < $1.key }) {
            let path = folder + "/" + file
            var status = stat()
            if stat(path, &status) != 0 {
                throw TAMDataError(path, "dataset.json names this stack, but it cannot be opened: \(SystemError.words(errno: errno))")
            }
            guard (status.st_mode & S_IFMT) == S_IFREG else {
                throw TAMDataError(path, "is not a regular file (a folder, device or pipe, or a link to one); a stack must be a TIFF file")
            }
            let (pages, width, height) = try TIFFStack.shape(path)
            if let deepest = entries.max(by: { $0.page < $1.page }), deepest.page >= pages {
                throw TAMDataError(path, "dataset.json puts \(describe(deepest)) on page \(deepest.page), but the stack has \(pages) pages; it is truncated or the index is wrong")
            }
            guard width == manifest.frameWidth, height == manifest.frameHeight else {
                throw TAMDataError(path, "frames are \(width)x\(height) but dataset.json says \(manifest.frameWidth)x\(manifest.frameHeight); the index and the stacks disagree")
            }
        }
    }

    func describe(_ entry: FrameEntry) -> String {
        var parts = [entry.kind.rawValue]
        if let delay = entry.delay { parts.append(manifest.axes.delayFs.indices.contains(delay) ? "delay \(manifest.axes.delayFs[delay]) fs" : "delay index \(delay)") }
        if let fluence = entry.fluence, manifest.axes.fluence.count > 1 { parts.append("fluence \(fluence)") }
        if let wavelength = entry.wavelength, manifest.axes.wavelengthNm.count > 1 { parts.append("wavelength \(wavelength)") }
        if let spot = entry.spot, manifest.axes.spot.count > 1 { parts.append("spot \(spot)") }
        if let run = entry.run, manifest.axes.runs > 1 { parts.append("run \(run)") }
        return parts.joined(separator: ", ")
    }

    static func describe(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().drop { $0 == "." }.description
    }
}
