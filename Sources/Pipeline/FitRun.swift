import Dispatch
import FitCore
import Foundation
import TAMData

/// One streaming fit run, the library's whole `femtofit fit`: a source read a block at a time,
/// each block cut into ROIs and fitted (`StackFitter`, on several workers: `FitWorkers`), the
/// results handed to the sinks (fits.h5 always, fits.csv and shape.csv when asked) in fit order
/// while the run goes on, and fits.json written last as the run's commit record. Memory holds a
/// few blocks, whatever the fit count.
/// The outputs are a set (`OutputSet`): all of them appear when the run completes, none when it
/// fails.
public struct FitRun {
    public var fitter: StackFitter
    /// nm per pixel (lengths are then written in nm), or nil for pixels.
    public var pixelSize: Double?
    /// Write fits.csv and shape.csv (off for huge batches: fits.h5 holds everything, the shape
    /// check in its `shape` group).
    public var writeCSV = true
    /// The Gaussian-ness check per fit (shape.csv and fits.h5's shape group).
    public var shapeCheck = true
    /// fits.h5's deflate level (nil: uncompressed, the fastest).
    public var deflate: Int?
    /// Frames per block (nil: about 4 MB of pixels for one-thread CPU workers, 32 MB otherwise).
    public var blockFrames: Int?
    /// How the ROI was chosen, in words, for the metadata.
    public var roiDescription: String
    /// The test hook of the output set (see `OutputSet.fault`).
    public var fault: (@Sendable (String, Int) throws -> Void)?

    public init(fitter: StackFitter, pixelSize: Double?, roiDescription: String) {
        self.fitter = fitter
        self.pixelSize = pixelSize
        self.roiDescription = roiDescription
    }

    /// What a run did, for the report and the caller.
    public struct Summary: Sendable {
        public var fits = 0
        public var states: [FitState: Int] = [:]
        /// Fits with masked (NaN or infinite) pixels, and the first of them.
        public var maskedFits = 0
        public var firstMasked: (index: Int, pixels: Int)?
        /// The first invalid fits (up to 1 000) with their problems, and the count.
        public var invalid: [(fit: Int, index: Int, series: SeriesLabel?, problem: String)] = []
        public var invalidCount = 0
        public var shapeChecked = 0
        public var shapeFlagged = 0
        public var firstFlagged: Int?
        /// Seconds in the fitter (ROI cutting, the engine and the shape check: the workers' busy
        /// seconds over their number) and for the whole run.
        public var fitSeconds = 0.0
        public var wallSeconds = 0.0
        /// The files written, with their sizes, fits.json last.
        public var files: [(name: String, bytes: Int)] = []
        public var notes: [String] = []
        /// A dataset's series: time zero and delay shift (fits.json `series`, fits.h5 `series/`).
        public var series: [SeriesRecord] = []
    }

    public static let invalidListed = 1_000

    /// Runs `source` into `folder`. `progress` is told fits done and the total after each block.
    public func run(_ source: FrameSource, into folder: String, hasDelays: Bool, isGrid: Bool = false,
                    progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        let started = DispatchTime.now().uptimeNanoseconds
        let outputs = try OutputSet(folder: folder)
        outputs.fault = fault
        do {
            var summary = try stream(source, outputs: outputs, hasDelays: hasDelays, isGrid: isGrid, started: started, progress: progress)
            try outputs.commit(record: OutputSet.recordName)
            summary.files = outputs.sizes()
            return summary
        } catch {
            outputs.abort()
            throw error
        }
    }

    private func stream(_ source: FrameSource, outputs: OutputSet, hasDelays: Bool, isGrid: Bool, started: UInt64,
                        progress: ((Int, Int) -> Void)?) throws -> Summary {
        let model = fitter.model
        let columns = FitColumns(model: model, pixelSize: pixelSize, hasDelays: hasDelays, isGrid: isGrid)
        let checkShape = shapeCheck && SpotShape.applies(to: model)
        let h5 = try HDF5FitSink(outputs: outputs, columns: columns, shapeCheck: checkShape, deflate: deflate)
        var sinks: [FitSink] = [h5]
        if writeCSV { sinks.append(try CSVFitSink(outputs: outputs, columns: columns, single: fitter.engine.backend.precision == .single)) }
        if checkShape && writeCSV { sinks.append(try ShapeCSVSink(outputs: outputs, pixelSize: pixelSize, grid: isGrid, hasDelays: hasDelays)) }
        (source as? DatasetSource)?.outputs = outputs

        var summary = Summary()
        let engines = FitWorkers.engines(for: fitter.engine)
        let blockFrames = self.blockFrames ?? FitWorkers.blockFrames(pixelsPerFrame: source.pixelsPerFrame, workers: engines.count)
        let total = source.frameCount
        // Stages on threads of their own: a reader reads blocks ahead, the workers fit them (one
        // per core for the CPU backend, see `FitWorkers`), this thread puts their results back in
        // order and a writer writes them meanwhile. A block may be read only while fewer than
        // `window` blocks are between reading and writing, so memory holds a few blocks at most
        // whatever the order the workers finish in.
        let window = engines.count + 2
        let admitted = BoundedChannel<Void>(capacity: window)
        source.willHold(blocks: window + 1)  // a worker may let go of its block just after handing on the results
        let blocks = BoundedChannel<Numbered<Result<FrameBlock, Error>>>(capacity: 1)
        let reader = StageThread(name: "femtofit-read") {
            var number = 0
            while admitted.put(()) {
                let next = Result { try source.next(maximum: blockFrames) }
                switch next {
                case .success(let block?): if !blocks.put(Numbered(number: number, value: .success(block))) { return }
                case .success(nil): blocks.close(); return
                case .failure(let error): blocks.put(Numbered(number: number, value: .failure(error))); blocks.close(); return
                }
                number += 1
            }
        }
        let fitted = BoundedChannel<Numbered<Result<(FitChunk, [SpotShapeOutput.Row], Double), Error>>>(capacity: window)
        let stopped = FirstError()
        let running = WorkerCount(engines.count)
        let sourceName = source.name
        let workers = engines.map { engine in
            var worker = fitter
            worker.engine = engine
            let slices = engines.count > 1 ? 1 : nil
            return StageThread(name: "femtofit-fit") {
                defer { if running.finish() { fitted.close() } }
                while let next = blocks.take() {
                    guard !stopped.happened else { continue }
                    let outcome = Result { () throws -> (FitChunk, [SpotShapeOutput.Row], Double) in
                        let block = try next.value.get()
                        let start = DispatchTime.now().uptimeNanoseconds
                        let chunk = try worker.fit(block, source: block.series.map { "\(sourceName) (\(Self.describe($0)))" } ?? sourceName)
                        let shape = checkShape ? try Self.shapeRows(block, chunk, firstFit: 0, slices: slices) : []
                        return (chunk, shape, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                    if !fitted.put(Numbered(number: next.number, value: outcome)) { return }
                }
            }
        }
        let results = BoundedChannel<(FitChunk, [SpotShapeOutput.Row])>(capacity: 1)
        let writeFailure = FirstError()
        let writer = StageThread(name: "femtofit-write") {
            while let (chunk, shape) = results.take().map({ ($0.0, $0.1) }) {
                guard !writeFailure.happened else { continue }  // drain, so the fitting stage never waits
                do { for sink in sinks { try sink.write(chunk, shape: shape) } } catch { writeFailure.record(error) }
            }
        }
        defer {
            stopped.record(CancellationError())
            admitted.close(); blocks.close(); fitted.close(); results.close()
            reader.join(); workers.forEach { $0.join() }; writer.join()
        }
        var waiting: [Int: Result<(FitChunk, [SpotShapeOutput.Row], Double), Error>] = [:]
        var nextNumber = 0, busySeconds = 0.0
        while let item = fitted.take() {
            waiting[item.number] = item.value
            while let ready = waiting.removeValue(forKey: nextNumber) {
                var (chunk, shape, seconds) = try ready.get()
                if let error = writeFailure.error { throw error }
                for i in shape.indices { shape[i].fit += summary.fits }
                busySeconds += seconds
                results.put((chunk, shape))
                tally(chunk, shape: shape, into: &summary)
                progress?(summary.fits, total)
                _ = admitted.take()
                nextNumber += 1
            }
        }
        // The fitting stage's wall-clock share: the workers' busy seconds over their number.
        summary.fitSeconds = busySeconds / Double(engines.count)
        results.close()
        writer.join()
        if let error = writeFailure.error { throw error }
        for sink in sinks { if sink !== h5 { try sink.finish() } }
        summary.notes = (source as? DatasetSource)?.notes ?? []
        summary.series = (source as? DatasetSource)?.records ?? []
        try SeriesRecord.writeH5(summary.series, to: h5)
        summary.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let metadata = metadataFor(source, summary: summary)
        try h5.setMetadata(metadata.attributes(columns: columns))
        try h5.finish()
        let record = FitsRecord(metadata: metadata, columns: columns.names, summary: summary, files: outputs.sizes())
        let file = try StreamFile(OutputSet.recordName, in: outputs)
        try file.write(Array(try record.json()))
        return summary
    }

    static func describe(_ label: SeriesLabel) -> String {
        "fluence \(label.fluence), \(label.wavelengthNm) nm, spot \(label.spot)"
    }

    func metadataFor(_ source: FrameSource, summary: Summary) -> FitsMetadata {
        let backend = fitter.engine.backend, settings = fitter.settings
        return FitsMetadata(
            input: source.name, model: fitter.model.name, estimator: settings.estimator == .poissonMLE ? "mle" : "lse",
            backend: backend.name, device: backend.deviceDescription, precision: backend.precision.rawValue,
            tolerance: settings.tolerance, maxIterations: settings.maxIterations,
            errors: settings.robustErrors ? "robust" : "curvature", roi: roiDescription, pixelSizeNm: pixelSize,
            fitTimeSeconds: summary.fitSeconds, frames: summary.fits, preprocessing: summary.notes.isEmpty ? nil : summary.notes)
    }

    func tally(_ chunk: FitChunk, shape: [SpotShapeOutput.Row], into summary: inout Summary) {
        // Counted in an array by code (a dictionary update per fit costs more than the rest of the tally).
        var counts = [Int](repeating: 0, count: 16)
        for code in chunk.stateCodes { counts[code >= 0 && code < 16 ? Int(code) : Int(FitState.invalidInput.rawValue)] += 1 }
        for (code, count) in counts.enumerated() where count > 0 {
            summary.states[FitState(rawValue: Int32(code)) ?? .invalidInput, default: 0] += count
        }
        for i in 0..<chunk.count where chunk.maskedPixels[i] > 0 {
            if summary.firstMasked == nil { summary.firstMasked = (chunk.frames[i], Int(chunk.maskedPixels[i])) }
            summary.maskedFits += 1
        }
        for i in 0..<chunk.count where chunk.stateCodes[i] == FitState.invalidInput.rawValue {
            summary.invalidCount += 1
            if summary.invalid.count < Self.invalidListed {
                summary.invalid.append((summary.fits + i, chunk.frames[i], chunk.series, chunk.problems[i] ?? "unusable data"))
            }
        }
        summary.shapeChecked += shape.count
        for row in shape where row.check.flagged {
            if summary.firstFlagged == nil { summary.firstFlagged = row.check.frame }
            summary.shapeFlagged += 1
        }
        summary.fits += chunk.count
    }

    /// The shape check of a block's converged fits, 16 fits per register: the rows
    /// a run writes to shape.csv and fits.h5's shape group (`fit` counts from `firstFit`).
    /// `slices`: how many parts to check side by side (nil: enough for every core; 1 for a
    /// worker that has a core of its own).
    public static func shapeRows(_ block: FrameBlock, _ chunk: FitChunk, firstFit: Int, slices: Int? = nil) throws -> [SpotShapeOutput.Row] {
        let count = chunk.count, p = chunk.model.parameterCount
        let slices = max(1, min(count, slices ?? (count < 512 ? 1 : min(32, count / 256))))
        let stackFrames = Array(0..<count)  // fit i's ROI was cut from the block's frame i
        var parts = [Result<[SpotShape.Frame], Error>](repeating: .success([]), count: slices)
        chunk.parameters.withUnsafeBufferPointer { parameters in
        chunk.stateCodes.withUnsafeBufferPointer { states in
        chunk.rois.withUnsafeBufferPointer { rois in
        stackFrames.withUnsafeBufferPointer { stackFrames in
        parts.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                let range = (slice * count / slices)..<((slice + 1) * count / slices)
                let view = SpotShape.FitColumnsView(count: range.count, parameters: parameters.baseAddress! + range.lowerBound * p,
                                                    states: states.baseAddress! + range.lowerBound, rois: rois.baseAddress! + 4 * range.lowerBound,
                                                    stackFrames: stackFrames.baseAddress! + range.lowerBound)
                out[slice] = Result {
                    try SpotShape.check(block.frames, variances: block.variances, fits: view, model: chunk.model).map { check in
                        var frame = check
                        frame.frame += range.lowerBound
                        return frame
                    }
                }
            }
        }}}}}
        return try parts.flatMap { try $0.get() }.map { check in
            var global = check
            global.frame = chunk.frames[check.frame]
            return SpotShapeOutput.Row(label: block.series, delayFs: block.delays?[check.frame], check: global, fit: firstFit + check.frame)
        }
    }
}

/// The first error a stage met, read by another stage.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?

    func record(_ error: Error) {
        lock.lock()
        if first == nil { first = error }
        lock.unlock()
    }

    var error: Error? { lock.lock(); defer { lock.unlock() }; return first }
    var happened: Bool { error != nil }
}
