import Acquisition
import Dispatch
import FitEngine
import Foundation
import TAMData

/// The acquisition pipeline's sustained rate: 128x128 frame pairs recorded once from the simulated
/// microscope and played back by the replay camera on a virtual clock, so the figure is the
/// pipeline's (tagging and counter checks, dT/T per pair, averaging, writing each point with its
/// journal line flushed, the live fitter behind), not the simulator's. The target is
/// 2000 pairs/s with no frame lost; targets.tsv holds half as the CI floor.
enum PipelineBenchmark {
    struct Figures {
        var pairsPerSecond: Double
        var pairs: Int
        var largestBacklog: Int
        var liveFitted: Int
        var liveSkipped: Int
        var lostFrames: Int
    }

    /// Records one pump-on/off pair per delay at 128x128 from the simulated microscope.
    static func record(delays: [Double]) throws -> ReplayCamera.Recording {
        let instrument = Instrument.simulated(sensor: 128)
        for device in instrument.devices { try device.connect() }
        try instrument.begin(ScanPlan(delays: delays))
        defer { instrument.end() }
        var frames: [ScanPlan.Point: (on: [UInt16], off: [UInt16])] = [:]
        for (d, delay) in delays.enumerated() {
            try instrument.attenuator.set(pulseEnergyNJ: 9)
            try instrument.delayStage.move(toDelay: delay)
            try instrument.waitUntilReady()
            var on: [UInt16]?, off: [UInt16]?
            while on == nil || off == nil {
                let frame = try instrument.camera.acquire()
                let exposure = (instrument.camera.settings.number("camera.exposure_ms") ?? 10) / 1000
                if try instrument.chopper.tag(atTime: frame.time + exposure / 2) == .on { on = frame.pixels } else { off = frame.pixels }
            }
            frames[ScanPlan.Point(delay: d, fluence: 0, wavelength: 0, spot: 0, run: 0)] = (on!, off!)
        }
        return ReplayCamera.Recording(width: 128, height: 128, delaysFs: delays, pulseEnergiesNJ: [9], wavelengthsNm: [800], runs: 1, frames: frames)
    }

    static func measure(quick: Bool) throws -> Figures {
        let delays: [Double] = [-500] + (0..<(quick ? 15 : 39)).map { 100 * pow(1000, Double($0) / 38) }
        let recording = try record(delays: delays)
        let clock = VirtualClock()
        let microscope = SimulatedMicroscope(clock: clock, sensor: 128)
        let camera = ReplayCamera(recording: recording, source: "recorded 128x128 pairs", clock: clock, stage: microscope.delayStage,
                                  chopper: microscope.chopper, wheel: microscope.filterWheel, attenuator: microscope.attenuator)
        let instrument = Instrument(clock: clock, camera: camera, delayStage: microscope.delayStage, sampleStage: microscope.sampleStage,
                                    chopper: microscope.chopper, filterWheel: microscope.filterWheel, attenuator: microscope.attenuator,
                                    pixelSizeNm: 55.6, source: "replay")
        let plan = ScanPlan(name: "pipeline", delays: delays, pulseEnergiesNJ: [9], runs: 1, pairs: quick ? 200 : 500,
                            maximumDroppedFrames: 0, retries: 0)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("femtofit-pipeline-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sequencer = Sequencer(plan: plan, instrument: instrument, folder: folder)
        let live = LiveFitter(pixelSizeNm: 55.6, engine: FitEngine())
        sequencer.liveFitter = live
        let start = DispatchTime.now().uptimeNanoseconds
        guard case .finished = try sequencer.run() else { throw AcquisitionError("pipeline benchmark", "the scan stopped") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let records = sequencer.store!.done.values
        let pairs = records.reduce(0) { $0 + $1.pairs }
        let lost = records.reduce(0) { $0 + $1.droppedFrames + $1.unpairedFrames }
        return Figures(pairsPerSecond: Double(pairs) / seconds, pairs: pairs, largestBacklog: live.largestBacklog,
                       liveFitted: live.fitted, liveSkipped: live.skipped, lostFrames: lost)
    }
}
