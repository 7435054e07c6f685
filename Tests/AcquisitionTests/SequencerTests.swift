import Acquisition
import FitEngine
import Pipeline
import TAMData
import XCTest

/// The sequencer on the simulated microscope: points written and readable as a dataset, the live
/// fitter behind the writer, faults retried, a clean stop that keeps every point, and resume.
final class SequencerTests: XCTestCase {
    var folders: [String] = []

    func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sequencer-\(UUID())").path
        folders.append(path)
        return path
    }

    override func tearDown() {
        for f in folders { try? FileManager.default.removeItem(atPath: f) }
    }

    let plan = ScanPlan(name: "test", delays: [-1000, 0, 200, 1000, 5000, 20000], pulseEnergiesNJ: [5, 9], runs: 2, pairs: 10)

    func testScanWritesADatasetTheFitterReads() throws {
        let instrument = Instrument.simulated(sensor: 48)
        let out = folder()
        let sequencer = Sequencer(plan: plan, instrument: instrument, folder: out)
        sequencer.liveFitter = LiveFitter(pixelSizeNm: instrument.framePixelSizeNm, capacity: 64, engine: FitEngine())
        var reports: [Sequencer.Progress] = []
        sequencer.onProgress = { reports.append($0) }
        guard case .finished(let dataset) = try sequencer.run() else { return XCTFail("the scan did not finish") }
        XCTAssertEqual(dataset.manifest.axes.delayFs, plan.delays)
        XCTAssertEqual(dataset.manifest.axes.runs, 2)
        XCTAssertEqual(dataset.manifest.frames.count, plan.points.count * 3)
        XCTAssertEqual(dataset.manifest.frameWidth, 48)
        XCTAssertEqual(dataset.manifest.axes.fluence.map(\.pulseEnergyNJ), [5, 9])
        XCTAssertNotNil(dataset.manifest.instrument["camera.em_gain"])
        XCTAssertEqual(dataset.manifest.instrument["stage.passes"], InstrumentSetting(2))
        XCTAssertEqual(reports.last?.done, plan.points.count)
        XCTAssertEqual(reports.count, plan.points.count + 1)
        for device in instrument.devices { XCTAssertEqual(device.lifecycle.state, .closed, device.name) }

        // ΔT/T: no signal before time zero, a bleach spot at the centre after it.
        func dTT(delay: Int, fluence: Int) throws -> [Float] {
            let entry = dataset.manifest.frames.first { $0.delay == delay && $0.fluence == fluence && $0.run == 0 && $0.kind == .dTT }!
            return try dataset.frame(entry)
        }
        func centre(_ frame: [Float]) -> Float {
            var sum: Float = 0
            for y in 22..<26 { for x in 22..<26 { sum += frame[y * 48 + x] } }
            return sum / 16
        }
        let before = try dTT(delay: 0, fluence: 1), after = try dTT(delay: 2, fluence: 1), weak = try dTT(delay: 2, fluence: 0)
        XCTAssertLessThan(abs(centre(before)), 0.001)
        XCTAssertGreaterThan(centre(after), 0.0025, "a bleach at 200 fs")
        XCTAssertGreaterThan(centre(after), centre(weak) * 1.3, "more pump, more signal")

        // The live fitter fitted behind the writer and has a running estimate for both fluences.
        let live = sequencer.liveFitter!
        let afterZero = plan.points.filter { plan.delays[$0.delay] > 0 }.count
        XCTAssertEqual(live.fitted + live.skipped + live.failed, afterZero, "every frame after time zero offered once")
        XCTAssertGreaterThan(live.fitted, afterZero / 2)
        XCTAssertEqual(live.estimates().count, 2)
        XCTAssertNotNil(live.estimates().first?.diffusivityCm2s)

        // A second scan into the same folder is refused; the data stay.
        XCTAssertThrowsError(try Sequencer(plan: plan, instrument: Instrument.simulated(sensor: 48), folder: out).run()) {
            XCTAssertTrue("\($0)".contains("already holds an acquisition; add --resume"), "\($0)")
        }
        XCTAssertNoThrow(try Dataset.open(out))
    }

    func testFaultsAreRetriedThenTheScanStopsCleanlyAndResumes() throws {
        var plan = self.plan
        plan.retries = 2
        plan.maximumDroppedFrames = 1
        let out = folder()
        // A stage error and two dropped frames at one point: retried, the scan finishes.
        var instrument = Instrument.simulated(sensor: 32)
        let microscope = instrument.simulated!
        microscope.camera.dropFrames = [5, 7]
        microscope.delayStage.pendingFault = .stageError
        var log: [String] = []
        let sequencer = Sequencer(plan: plan, instrument: instrument, folder: out)
        sequencer.onLog = { log.append($0) }
        guard case .finished = try sequencer.run() else { return XCTFail("the faults were not retried") }
        XCTAssertTrue(log.contains { $0.contains("following error") }, "\(log)")
        XCTAssertTrue(log.contains { $0.contains("frames (counter gaps)") && $0.contains("max_dropped_frames = 1") }, "\(log)")
        let journal = try String(contentsOfFile: out + "/points.jsonl", encoding: .utf8)
        XCTAssertTrue(journal.contains("\"attempts\":3"), "a stage error, then dropped frames, then a clean take")

        // A camera that keeps dropping frames: retried once, then a clean stop with the reason.
        plan.retries = 1
        let second = folder()
        instrument = Instrument.simulated(sensor: 32)
        instrument.simulated!.camera.dropFrames = Set(stride(from: 150, to: 600, by: 3))
        let stopped = Sequencer(plan: plan, instrument: instrument, folder: second)
        guard case .stopped(let reason) = try stopped.run() else { return XCTFail("a persistent fault must stop the scan") }
        XCTAssertTrue(reason.contains("max_dropped_frames") && reason.contains("after 2 attempts"), reason)
        for device in instrument.devices { XCTAssertEqual(device.lifecycle.state, .closed, "\(device.name) left \(device.lifecycle.state)") }
        let kept = stopped.store!.done
        XCTAssertGreaterThan(kept.count, 3)
        XCTAssertLessThan(kept.count, plan.points.count)
        let logText = try String(contentsOfFile: second + "/acquisition.log", encoding: .utf8)
        XCTAssertTrue(logText.contains("stopped:") && logText.contains("max_dropped_frames"), logText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: second + "/dataset.json"), "no index over an incomplete scan")
        var bytes: [String: Data] = [:]
        for record in kept.values { bytes[record.file] = FileManager.default.contents(atPath: second + "/" + record.file) }

        // Resume with the fault gone: only the missing points are taken; the kept ones are untouched.
        let resumed = Sequencer(plan: plan, instrument: Instrument.simulated(sensor: 32, seed: 9), folder: second, resume: true)
        guard case .finished(let dataset) = try resumed.run() else { return XCTFail("the resume did not finish") }
        XCTAssertEqual(dataset.manifest.frames.count, plan.points.count * 3)
        for (file, data) in bytes { XCTAssertEqual(FileManager.default.contents(atPath: second + "/" + file), data, "\(file) was rewritten") }
        let lines = try String(contentsOfFile: second + "/points.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, plan.points.count, "one journal line per point, none twice")
    }

    /// A chopper phase slip of 90 degrees makes every exposure straddle a blade edge: the frames
    /// are refused as mixed, the point retried, then the scan stops with the reason.
    func testChopperPhaseSlipStopsTheScan() throws {
        var plan = self.plan
        plan.retries = 1
        let instrument = Instrument.simulated(sensor: 24)
        instrument.simulated!.chopper.fault = .chopperPhaseSlip(at: 4.0, degrees: 90)
        let sequencer = Sequencer(plan: plan, instrument: instrument, folder: folder())
        guard case .stopped(let reason) = try sequencer.run() else { return XCTFail("a slipped chopper must stop the scan") }
        XCTAssertTrue(reason.contains("straddling a chopper edge") && reason.contains("chopper phase"), reason)
        let kept = sequencer.store!.done.values
        XCTAssertGreaterThan(kept.count, 0, "points before the slip are kept")
        XCTAssertTrue(kept.allSatisfy { $0.time < 4.0 + 1 }, "no point is taken after the slip")
    }

    /// The film varies with the sample-stage position: at a spot where the band-like D is 1.9x the
    /// film's the spot has spread further at 2 ps than at one where it is 0.1x.
    func testSpotsAtDifferentPlacesSeeDifferentTransport() throws {
        var sample = SimulatedSample()
        sample.heterogeneity = 0.9
        let instrument = Instrument.simulated(sample: sample, sensor: 32)
        let plan = ScanPlan(delays: [-500, 2000], pulseEnergiesNJ: [9], spots: [ScanAxes.Spot(xUm: 10, yUm: 0), ScanAxes.Spot(xUm: -10, yUm: 0)], pairs: 40)
        guard case .finished(let dataset) = try Sequencer(plan: plan, instrument: instrument, folder: folder()).run() else { return XCTFail() }
        func width(spot: Int) throws -> Double {
            let entry = dataset.manifest.frames.first { $0.spot == spot && $0.delay == 1 && $0.kind == .dTT }!
            let frame = ImageStack(width: 32, height: 32, pixels: try dataset.frame(entry))
            let fit = try XCTUnwrap(StackFitter(model: .gauss2D, engine: FitEngine()).fit(frame, source: "spot \(spot)").first)
            XCTAssertEqual(fit.state, .converged)
            return fit.parameters[3] * instrument.framePixelSizeNm
        }
        let fast = try width(spot: 0), slow = try width(spot: 1)
        let expected = (sample.truth(pulseEnergyNJ: 9, x: 10).sigma(at: 2000), sample.truth(pulseEnergyNJ: 9, x: -10).sigma(at: 2000))
        XCTAssertGreaterThan(expected.0 - expected.1, 40, "the truths differ by \(expected)")
        XCTAssertEqual(fast, expected.0, accuracy: 12)
        XCTAssertEqual(slow, expected.1, accuracy: 12)
    }

    func testResumeRefusesAnotherPlanAndDropsACutJournalLine() throws {
        let out = folder()
        let small = ScanPlan(delays: [0, 500, 1000], pulseEnergiesNJ: [5], pairs: 2)
        XCTAssertThrowsError(try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 32), folder: out, resume: true).run()) {
            XCTAssertTrue("\($0)".contains("no acquisition to resume"), "\($0)")
        }
        guard case .finished = try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 32), folder: out).run() else { return XCTFail() }
        var other = small
        other.delays = [0, 500, 2000]
        XCTAssertThrowsError(try Sequencer(plan: other, instrument: Instrument.simulated(sensor: 32), folder: out, resume: true).run()) {
            XCTAssertTrue("\($0)".contains("different plan"), "\($0)")
        }
        // A kill in the middle of a journal line: the cut line and its point are taken again.
        let journalPath = out + "/points.jsonl"
        var journal = try Data(contentsOf: URL(fileURLWithPath: journalPath))
        journal.removeLast(20)
        try journal.write(to: URL(fileURLWithPath: journalPath))
        try FileManager.default.removeItem(atPath: out + "/dataset.json")
        let resumed = Sequencer(plan: small, instrument: Instrument.simulated(sensor: 32), folder: out, resume: true)
        guard case .finished = try resumed.run() else { return XCTFail() }
        let lines = try String(contentsOfFile: journalPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertNoThrow(try Dataset.open(out))
    }

    /// Resume never overwrites a point file it did not write (docs/reliability.md, class 4): with
    /// the journal emptied or deleted, whole point files are adopted (not taken again), a damaged
    /// one stops the resume by name, and a new scan refuses a folder of leftover points.
    func testResumeNeverOverwritesPointFiles() throws {
        let out = folder()
        let small = ScanPlan(delays: [0, 500, 1000], pulseEnergiesNJ: [5, 9], pairs: 2)
        guard case .finished = try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 24), folder: out).run() else { return XCTFail() }
        let pointsFolder = out + "/points"
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: pointsFolder) {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: pointsFolder + "/" + name))
            }
            return files
        }
        let before = try snapshot()
        XCTAssertEqual(before.count, 6)
        let journalPath = out + "/points.jsonl"
        for emptyJournal in [true, false] {
            try FileManager.default.removeItem(atPath: out + "/dataset.json")
            if emptyJournal { try Data().write(to: URL(fileURLWithPath: journalPath)) } else { try FileManager.default.removeItem(atPath: journalPath) }
            guard case .finished = try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 24), folder: out, resume: true).run() else {
                return XCTFail("resume after the journal was \(emptyJournal ? "emptied" : "deleted")")
            }
            XCTAssertEqual(try snapshot(), before, "every point file is kept as it was, none taken again")
            let lines = try String(contentsOfFile: journalPath, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 6)
            XCTAssertTrue(lines.allSatisfy { $0.contains("\"adopted\":true") }, "adopted points are marked: \(lines)")
            XCTAssertTrue(try String(contentsOfFile: out + "/acquisition.log", encoding: .utf8).contains("adopted 6 whole point file(s)"))
            XCTAssertNoThrow(try Dataset.open(out))
        }
        // A damaged point file that the journal does not list: named, and left alone.
        try FileManager.default.removeItem(atPath: out + "/dataset.json")
        try FileManager.default.removeItem(atPath: journalPath)
        let damaged = pointsFolder + "/" + before.keys.sorted()[2]
        try Data("not a tiff".utf8).write(to: URL(fileURLWithPath: damaged))
        XCTAssertThrowsError(try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 24), folder: out, resume: true).run()) {
            XCTAssertTrue("\($0)".contains(before.keys.sorted()[2]) && "\($0)".contains("will not overwrite"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: damaged)), Data("not a tiff".utf8))
        // A new scan into a folder that holds points but no acquisition.json.
        let leftover = folder()
        try FileManager.default.createDirectory(atPath: leftover + "/points", withIntermediateDirectories: true)
        try before.values.first!.write(to: URL(fileURLWithPath: leftover + "/points/" + before.keys.first!))
        XCTAssertThrowsError(try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 24), folder: leftover).run()) {
            XCTAssertTrue("\($0)".contains("1 point file") && "\($0)".contains("would overwrite"), "\($0)")
        }
    }

    /// A recorded acquisition played back through the camera protocol gives the recorded frames.
    func testReplayCameraPlaysARecordingBack() throws {
        let recorded = folder(), replayed = folder()
        let small = ScanPlan(delays: [-500, 0, 300, 3000], pulseEnergiesNJ: [3, 9], runs: 2, pairs: 3)
        guard case .finished(let original) = try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 24), folder: recorded).run() else {
            return XCTFail()
        }
        let instrument = try InstrumentFile.parse("[camera]\ndriver = \"replay\"\npath = \"\(recorded)\"", file: "replay.toml")
        XCTAssertTrue(instrument.camera is ReplayCamera)
        guard case .finished(let copy) = try Sequencer(plan: small, instrument: instrument, folder: replayed).run() else { return XCTFail() }
        for entry in original.manifest.frames where entry.kind == .pumpOn || entry.kind == .pumpOff {
            let again = try XCTUnwrap(copy.manifest.frames.first { $0.delay == entry.delay && $0.fluence == entry.fluence && $0.run == entry.run && $0.kind == entry.kind })
            XCTAssertEqual(try copy.frame(again), try original.frame(entry).map { $0.rounded() }, "\(entry)")
        }
        // A delay the recording lacks is an error naming the recording.
        var other = small
        other.delays = [0, 500]
        let again = try InstrumentFile.parse("[camera]\ndriver = \"replay\"\npath = \"\(recorded)\"", file: "replay.toml")
        let outcome = try Sequencer(plan: other, instrument: again, folder: folder()).run()
        guard case .stopped(let reason) = outcome else { return XCTFail("a delay that was never recorded cannot be replayed") }
        XCTAssertTrue(reason.contains("has no frames at 500.0 fs"), reason)
    }

    /// Resume refuses changed instrument settings; a second store on a folder in use is refused;
    /// a fresh scan refuses a leftover journal.
    func testResumeGuardsTheFolder() throws {
        let out = folder()
        let small = ScanPlan(delays: [0, 500], pulseEnergiesNJ: [5], pairs: 2)
        guard case .finished = try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 24), folder: out).run() else { return XCTFail() }
        var longer = small
        longer.camera = ["camera.exposure_ms": .number(5)]
        XCTAssertThrowsError(try Sequencer(plan: longer, instrument: Instrument.simulated(sensor: 24), folder: out, resume: true).run()) {
            XCTAssertTrue("\($0)".contains("other instrument settings") && "\($0)".contains("camera.exposure_ms"), "\($0)")
        }
        let busy = folder()
        let held = try AcquisitionStore(folder: busy, plan: small, frameWidth: 24, frameHeight: 24, pixelSizeNm: 55.6, instrument: [:], resume: false)
        XCTAssertThrowsError(try AcquisitionStore(folder: busy, plan: small, frameWidth: 24, frameHeight: 24, pixelSizeNm: 55.6, instrument: [:], resume: true)) {
            XCTAssertTrue("\($0)".contains("being written by another femtofit acquire"), "\($0)")
        }
        held.finish()
        XCTAssertNoThrow(try AcquisitionStore(folder: busy, plan: small, frameWidth: 24, frameHeight: 24, pixelSizeNm: 55.6, instrument: [:], resume: true),
                         "the lock goes with the store")
        let leftover = folder()
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: leftover + "/points.jsonl"))
        XCTAssertThrowsError(try Sequencer(plan: small, instrument: Instrument.simulated(sensor: 24), folder: leftover).run()) {
            XCTAssertTrue("\($0)".contains("journal") && "\($0)".contains("without acquisition.json"), "\($0)")
        }
    }

    /// A following error disables the Newport controller mid-scan: the retry enables it (MM1) and
    /// the scan finishes, through the real driver and a pseudo-terminal, in real time.
    func testSequencerRecoversADisabledNewportStage() throws {
        let instrument = try InstrumentFile.parse("""
        [delay_stage]
        driver = "newport-emulator"
        zero_mm = 3
        velocity_mm_s = 20
        [camera]
        sensor = 16
        """, file: "serial.toml")
        let stage = try XCTUnwrap(instrument.delayStage as? NewportDelayStage)
        let plan = ScanPlan(delays: [0, 20000, 60000], pulseEnergiesNJ: [5], pairs: 2, retries: 2)
        let sequencer = Sequencer(plan: plan, instrument: instrument, folder: folder())
        var log: [String] = []
        sequencer.onLog = { log.append($0) }
        var injected = false
        sequencer.onProgress = { progress in
            if progress.done == 1, !injected { injected = true; stage.emulator?.inject(.followingError) }
        }
        guard case .finished = try sequencer.run() else { return XCTFail("\(log)") }
        XCTAssertTrue(log.contains { $0.contains("DISABLE from MOVING") && $0.contains("following error") }, "\(log)")
        XCTAssertTrue(stage.emulator?.received.contains("1MM1") ?? false, "the driver enabled the controller")
    }
}
