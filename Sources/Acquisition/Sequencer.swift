import Foundation
import TAMData

/// Runs a scan plan on an instrument: for each point it moves (filter wheel, attenuator, sample
/// stage, delay stage), waits until the stages report ready, takes pump-on/off frame pairs,
/// checks the chopper tags and the frame counter, forms ΔT/T per pair and averages, writes the
/// point (`AcquisitionStore`), then offers the frame to the live fitter, which never holds the
/// acquisition up. A device fault is retried `plan.retries` times; then the scan stops cleanly
/// with every finished point kept and the reason in the log.
public final class Sequencer {
    public let plan: ScanPlan
    public let instrument: Instrument
    public let folder: String
    public let resume: Bool
    public let planFile: String
    /// Fits behind the writer; nil for none.
    public var liveFitter: LiveFitter?
    /// Told after each point (and once at the start).
    public var onProgress: ((Progress) -> Void)?
    /// Told every log line as it is written.
    public var onLog: ((String) -> Void)?
    public private(set) var store: AcquisitionStore?
    private let stopFlag = NSLock()
    private var stopReason: String?

    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        /// Points taken in this session and the wall time they took, s.
        public var takenThisSession: Int
        public var elapsed: Double
        /// Wall time left at this session's pace, s (nil until a point is taken).
        public var remaining: Double?
        public var point: String
        public var estimates: [LiveFitter.Estimate]
        public var liveFitted: Int
        public var liveSkipped: Int
    }

    public enum Outcome {
        /// Every point is in; the dataset is written.
        case finished(Dataset)
        /// Stopped before the end: the reason (also in acquisition.log); finished points are kept.
        case stopped(String)
    }

    public init(plan: ScanPlan, instrument: Instrument, folder: String, resume: Bool = false, planFile: String = "plan") {
        self.plan = plan; self.instrument = instrument; self.folder = folder; self.resume = resume; self.planFile = planFile
    }

    /// Asks the scan to stop after the point it is taking (from any thread).
    public func requestStop(_ reason: String) { stopFlag.withLock { stopReason = stopReason ?? reason } }
    private var requestedStop: String? { stopFlag.withLock { stopReason } }

    /// The series index of a point (fluence × wavelength × spot), as the live view numbers them.
    public func series(of point: ScanPlan.Point) -> Int {
        (point.wavelength * plan.pulseEnergiesNJ.count + point.fluence) * plan.spots.count + point.spot
    }

    public func run() throws -> Outcome {
        try plan.validate(file: planFile)
        defer { instrument.end() }
        do {
            for device in instrument.devices where device.lifecycle.state == .closed { try device.connect() }
        } catch { throw DeviceFailure(phase: "connecting", error: error) }
        try instrument.validate(plan, file: planFile)
        do { try instrument.begin(plan) } catch { throw DeviceFailure(phase: "configuring", error: error) }
        liveFitter?.pixelSizeNm = instrument.framePixelSizeNm  // binning is known now
        let store = try AcquisitionStore(folder: folder, plan: plan, frameWidth: instrument.camera.frameWidth,
                                         frameHeight: instrument.camera.frameHeight, pixelSizeNm: instrument.framePixelSizeNm,
                                         instrument: instrument.settings, resume: resume)
        self.store = store
        defer { store.finish() }
        let points = plan.points
        let todo = points.filter { store.done[$0] == nil }
        log(store, resume ? "resumed: \(points.count - todo.count) of \(points.count) points were done" : "started \(plan.name): \(points.count) points on \(instrument.source)")
        liveFitter?.start()
        defer { liveFitter?.finish() }
        let began = Date()
        var taken = 0
        report(store, taken: 0, began: began, point: todo.first.map(store.describePoint) ?? "")
        for point in todo {
            if let reason = requestedStop {
                log(store, "stopped: \(reason); \(store.done.count) of \(points.count) points kept; resume with --resume")
                return .stopped(reason)
            }
            var attempt = 1
            while true {
                do {
                    try take(point, attempt: attempt, store: store)
                    break
                } catch {
                    log(store, "fault at \(store.describePoint(point)), attempt \(attempt): \(error)")
                    guard attempt <= plan.retries else {
                        let reason = "\(error) (after \(attempt) attempts at \(store.describePoint(point)))"
                        log(store, "stopped: \(reason); \(store.done.count) of \(points.count) points kept; resume with --resume once the cause is fixed")
                        return .stopped(reason)
                    }
                    attempt += 1
                    recover()
                }
            }
            taken += 1
            report(store, taken: taken, began: began, point: store.describePoint(point))
        }
        liveFitter?.finish()
        let nAbs = plan.pulseEnergiesNJ.map { e in instrument.simulated.map { $0.camera.sample.nAbs(pulseEnergyNJ: e) } }
        let dataset = try store.writeDataset(nAbsPerPoint: nAbs)
        log(store, "finished: \(points.count) points; dataset.json written")
        return .finished(dataset)
    }

    /// Lets a faulted device settle before the point is taken again; a Newport stage that a fault
    /// disabled is enabled, one that lost its reference is homed.
    private func recover() {
        instrument.clock.wait(0.5)
        if let stage = instrument.delayStage as? NewportDelayStage { try? stage.makeReady() }
    }

    private func log(_ store: AcquisitionStore, _ message: String) {
        store.log(message)
        onLog?(message)
    }

    private func report(_ store: AcquisitionStore, taken: Int, began: Date, point: String) {
        guard let onProgress else { return }
        let elapsed = Date().timeIntervalSince(began)
        let left = plan.points.count - store.done.count
        onProgress(Progress(done: store.done.count, total: plan.points.count, takenThisSession: taken, elapsed: elapsed,
                            remaining: taken > 0 ? elapsed / Double(taken) * Double(left) : nil, point: point,
                            estimates: liveFitter?.estimates() ?? [], liveFitted: liveFitter?.fitted ?? 0,
                            liveSkipped: liveFitter?.skipped ?? 0))
    }

    /// Moves to `point`, takes its frame pairs and writes it.
    func take(_ point: ScanPlan.Point, attempt: Int, store: AcquisitionStore) throws {
        let wavelength = plan.wavelengthsNm[point.wavelength]
        if instrument.filterWheel.wavelengths[try instrument.filterWheel.position()].map({ abs($0 - wavelength) > 0.5 }) ?? true {
            try instrument.filterWheel.select(wavelength: wavelength)
        }
        let energy = plan.pulseEnergiesNJ[point.fluence]
        if try instrument.attenuator.pulseEnergyNJ().map({ abs($0 - energy) > 1e-9 }) ?? true {
            try instrument.attenuator.set(pulseEnergyNJ: energy)
        }
        let spot = plan.spots[point.spot]
        let here = try instrument.sampleStage.position()
        if here.x != spot.xUm || here.y != spot.yUm { try instrument.sampleStage.move(toX: spot.xUm, y: spot.yUm) }
        try instrument.delayStage.move(toDelay: plan.delays[point.delay])
        instrument.beginRun(point.run)
        try instrument.waitUntilReady()

        let pixels = instrument.camera.frameWidth * instrument.camera.frameHeight
        var sumOn = [Double](repeating: 0, count: pixels), sumOff = sumOn, sumDTT = sumOn
        var pairs = 0, dropped = 0, unpaired = 0, saturated = 0, frames = 0
        var pending: CameraFrame?
        var lastCounter: Int?
        let exposure = (instrument.camera.settings.number("camera.exposure_ms") ?? 10) / 1000
        let limit = plan.maximumDroppedFrames
        while pairs < plan.pairs {
            frames += 1
            guard frames <= 4 * plan.pairs + 16 else {
                throw AcquisitionError(instrument.chopper.name, "tags do not alternate pump-on/pump-off (\(pairs) pairs from \(frames - 1) frames); check the chopper phase and the camera trigger")
            }
            let frame = try instrument.camera.acquire()
            guard frame.pixels.count == pixels else {
                throw AcquisitionError(instrument.camera.name, "delivered a \(frame.width)x\(frame.height) frame; the scan expects \(instrument.camera.frameWidth)x\(instrument.camera.frameHeight)")
            }
            if let lastCounter, frame.counter != lastCounter + 1 {
                dropped += max(1, frame.counter - lastCounter - 1)
                pending = nil
            }
            lastCounter = frame.counter
            if dropped + unpaired > limit {
                throw AcquisitionError(instrument.camera.name, "lost \(dropped) frames (counter gaps) and \(unpaired) unpaired frames (broken on/off alternation, or exposures straddling a chopper edge) at this point, more than the plan's max_dropped_frames = \(limit); check the camera, the chopper phase and the trigger")
            }
            // A frame whose exposure straddles a chopper edge mixes pump-on and pump-off light.
            let tag = try instrument.chopper.tag(atTime: frame.time + exposure / 2)
            if try instrument.chopper.tag(atTime: frame.time + 0.02 * exposure) != instrument.chopper.tag(atTime: frame.time + 0.98 * exposure) {
                unpaired += 1
                pending = nil
                continue
            }
            if tag == .on {
                if pending != nil { unpaired += 1 }
                pending = frame
                continue
            }
            // A pump-off frame first after the move is not a broken pair: pairs start pump-on.
            guard let on = pending else { if frames > 1 { unpaired += 1 }; continue }
            pending = nil
            pairs += 1
            for i in 0..<pixels {
                let a = Double(on.pixels[i]), b = Double(frame.pixels[i])
                sumOn[i] += a
                sumOff[i] += b
                sumDTT[i] += b > 0 ? (a - b) / b : .nan
                if on.pixels[i] == UInt16.max || frame.pixels[i] == UInt16.max { saturated += 1 }
            }
        }
        let n = Double(pairs)
        let dTT = sumDTT.map { Float($0 / n) }
        let record = AcquisitionStore.PointRecord(point: point, file: AcquisitionStore.fileName(point), pairs: pairs, droppedFrames: dropped,
                                                  unpairedFrames: unpaired, saturatedPixels: saturated, time: instrument.clock.now, attempts: attempt)
        try store.commit(point, dTT: dTT, pumpOn: sumOn.map { Float($0 / n) }, pumpOff: sumOff.map { Float($0 / n) }, record: record)
        if saturated > 0 { log(store, "warning: \(saturated) saturated pixel readings at \(store.describePoint(point)); lower the EM gain or the exposure") }
        // Before time zero there is no spot: nothing for the live estimate.
        if plan.delays[point.delay] > 0 { liveFitter?.offer(point: point, series: series(of: point), delayFs: plan.delays[point.delay],
                          frame: ImageStack(width: instrument.camera.frameWidth, height: instrument.camera.frameHeight, pixels: dTT)) }
    }
}

/// A device that failed before the first point (connecting, configuring): the plan was fine, the
/// hardware was not ready. Nothing was acquired in this session.
public struct DeviceFailure: Error, CustomStringConvertible {
    public var phase: String
    public var error: Error
    public var description: String { "\(error) (while \(phase) the instrument; check that it is on and connected, then run again)" }
}
