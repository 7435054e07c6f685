import Foundation
import TAMData

/// Plays recorded frames back through the camera protocol: each frame is the recorded pump-on or
/// pump-off frame (by the chopper's tag) of the point the other devices are at — delay from the
/// delay stage, pulse energy from the attenuator, wavelength from the filter wheel, the run from
/// the sequencer — so a scan with the recording's plan sees what was recorded. Frames are loaded
/// once, at connect, so playback costs nothing but a copy (what the pipeline benchmark needs).
public final class ReplayCamera: LifecycleDevice, Camera, RunTracking {
    public private(set) var settings: [Setting]
    public var run = 0
    /// Recorded frames by point and tag.
    public struct Recording: Sendable {
        public var width: Int
        public var height: Int
        public var delaysFs: [Double]
        public var pulseEnergiesNJ: [Double]
        public var wavelengthsNm: [Double]
        public var runs: Int
        /// Sample-stage positions of the recorded spots, µm.
        public var spots: [ScanAxes.Spot]
        /// The recording's pixel size in the sample plane, nm.
        public var pixelSizeNm: Double
        /// Keyed by (delay, fluence, wavelength, spot, run) indices.
        public var frames: [ScanPlan.Point: (on: [UInt16], off: [UInt16])]

        public init(width: Int, height: Int, delaysFs: [Double], pulseEnergiesNJ: [Double], wavelengthsNm: [Double], runs: Int,
                    spots: [ScanAxes.Spot] = [ScanAxes.Spot()], pixelSizeNm: Double = 55.6, frames: [ScanPlan.Point: (on: [UInt16], off: [UInt16])]) {
            self.width = width; self.height = height; self.delaysFs = delaysFs; self.pulseEnergiesNJ = pulseEnergiesNJ
            self.wavelengthsNm = wavelengthsNm; self.runs = runs; self.spots = spots; self.pixelSizeNm = pixelSizeNm; self.frames = frames
        }
    }
    public let recording: Recording
    let source: String
    let clock: InstrumentClock
    let stage: DelayStage
    let chopper: Chopper
    let wheel: FilterWheel
    let attenuator: PumpAttenuator
    var counter = 0

    public init(recording: Recording, source: String, clock: InstrumentClock, stage: DelayStage, chopper: Chopper, wheel: FilterWheel,
                attenuator: PumpAttenuator) {
        self.recording = recording; self.source = source
        self.clock = clock; self.stage = stage; self.chopper = chopper; self.wheel = wheel; self.attenuator = attenuator
        settings = CameraSettings.standard(sensorWidth: recording.width, sensorHeight: recording.height, trigger: "external")
        settings.append(Setting("camera.model", kind: .text, value: .text("replay of \(source)")))
        super.init(name: "camera")
    }

    /// Where the sample stage is, to replay the spot recorded there; nil replays spot 0.
    public var sampleStage: SampleStage?

    /// Loads the pump-on and pump-off frames of `dataset` (rounded to counts).
    public convenience init(dataset: Dataset, clock: InstrumentClock, stage: DelayStage, chopper: Chopper, wheel: FilterWheel,
                            attenuator: PumpAttenuator) throws {
        let m = dataset.manifest
        var frames: [ScanPlan.Point: (on: [UInt16], off: [UInt16])] = [:]
        var on: [ScanPlan.Point: [UInt16]] = [:], off: [ScanPlan.Point: [UInt16]] = [:]
        for entry in m.frames where entry.kind == .pumpOn || entry.kind == .pumpOff {
            let point = ScanPlan.Point(delay: entry.delay ?? 0, fluence: entry.fluence ?? 0, wavelength: entry.wavelength ?? 0, spot: entry.spot ?? 0, run: entry.run ?? 0)
            let counts = try dataset.frame(entry).map { $0.isFinite ? UInt16(min(max($0.rounded(), 0), 65535)) : 0 }
            if entry.kind == .pumpOn { on[point] = counts } else { off[point] = counts }
        }
        for (point, a) in on { if let b = off[point] { frames[point] = (a, b) } }
        guard !frames.isEmpty else {
            throw AcquisitionError(dataset.folder, "has no pump_on/pump_off frame pairs to replay (only ΔT/T?); record with femtofit acquire or give raw frames")
        }
        let recording = Recording(width: m.frameWidth, height: m.frameHeight, delaysFs: m.axes.delayFs,
                                  pulseEnergiesNJ: m.axes.fluence.map { $0.pulseEnergyNJ ?? .nan }, wavelengthsNm: m.axes.wavelengthNm,
                                  runs: m.axes.runs, spots: m.axes.spot, pixelSizeNm: m.pixelSizeNm, frames: frames)
        self.init(recording: recording, source: dataset.folder, clock: clock, stage: stage, chopper: chopper, wheel: wheel, attenuator: attenuator)
    }

    public var frameWidth: Int { recording.width }
    public var frameHeight: Int { recording.height }

    public func configure(_ values: [String: SettingValue]) throws {
        var proposed = settings
        try proposed.apply(values, device: name)
        for key in ["camera.roi_x", "camera.roi_y"] where proposed.number(key) != 0 {
            throw AcquisitionError(name, "replays whole recorded frames; \(key) must stay 0")
        }
        if proposed.number("camera.binning") != 1 || proposed.number("camera.roi_width") != Double(recording.width)
            || proposed.number("camera.roi_height") != Double(recording.height) {
            throw AcquisitionError(name, "replays whole recorded \(recording.width)x\(recording.height) frames; leave ROI and binning as they are")
        }
        try lifecycle.take(.configure)
        settings = proposed
    }

    /// The recorded point the devices are at, or an error naming what was not recorded.
    func recordedPoint() throws -> ScanPlan.Point {
        let delay = try stage.delay()
        guard let d = recording.delaysFs.firstIndex(where: { abs($0 - delay) <= 0.5 }) else {
            throw AcquisitionError(name, "the recording \(source) has no frames at \(String(format: "%.1f", delay)) fs; scan the recorded delays")
        }
        // A single axis value the recording does not state (no pulse energy) matches anything.
        let energy = try attenuator.pulseEnergyNJ() ?? .nan
        let unstated = recording.pulseEnergiesNJ.count == 1 && !recording.pulseEnergiesNJ[0].isFinite
        guard let f = unstated ? 0 : recording.pulseEnergiesNJ.firstIndex(where: { abs($0 - energy) <= 1e-6 * max(1, abs($0)) }) else {
            throw AcquisitionError(name, "the recording \(source) has no frames at \(energy) nJ")
        }
        let wavelength = wheel.wavelengths[try wheel.position()] ?? .nan
        guard let w = recording.wavelengthsNm.firstIndex(where: { abs($0 - wavelength) <= 0.5 }) else {
            throw AcquisitionError(name, "the recording \(source) has no frames at \(wavelength) nm")
        }
        var s = 0
        if let sampleStage {
            let place = try sampleStage.position()
            guard let found = recording.spots.firstIndex(where: { abs($0.xUm - place.x) <= 0.01 && abs($0.yUm - place.y) <= 0.01 }) else {
                throw AcquisitionError(name, "the recording \(source) has no spot at (\(place.x), \(place.y)) µm")
            }
            s = found
        }
        return ScanPlan.Point(delay: d, fluence: f, wavelength: w, spot: s, run: run % max(1, recording.runs))
    }

    public func acquire() throws -> CameraFrame {
        try lifecycle.require([.running], for: "acquire")
        let exposure = (settings.number("camera.exposure_ms") ?? 10) / 1000
        if settings.isExternallyTriggered { clock.wait(chopper.waitForTrigger(at: clock.now)) }
        let start = clock.now
        clock.wait(exposure)
        counter += 1
        let point = try recordedPoint()
        guard let pair = recording.frames[point] else {
            throw AcquisitionError(name, "the recording \(source) lacks the pump-on/off pair of \(point)")
        }
        let tag = try chopper.tag(atTime: start + exposure / 2)
        return CameraFrame(width: recording.width, height: recording.height, pixels: tag == .on ? pair.on : pair.off, counter: counter, time: start)
    }
}
