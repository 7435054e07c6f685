import FitCore
import Foundation
import Pipeline
import Simulation
import TAMData
import XCTest
import FemtofitTestSupport

/// The dataset format: a folder written and read back unchanged, and every kind of bad dataset
/// refused with an error that names the file and the frame.
final class DatasetTests: XCTestCase {
    let delays: [Double] = [-200, -100, 0, 100, 300]

    /// Two runs of pump-on/pump-off frames from the simulator (on: spot on background; off: the
    /// background), a dark frame for every delay, and instrument settings of each type.
    func simulatedDataset() throws -> (manifest: DatasetManifest, stacks: [String: ImageStack]) {
        var simulator = TAMSimulator()
        simulator.width = 24
        simulator.height = 20
        simulator.delays = delays
        simulator.seed = freshSeed(61)
        var frames: [FrameEntry] = []
        var stacks: [String: ImageStack] = [:]
        for run in 0..<2 {
            simulator.seed &+= 1
            let on = try simulator.run().stack
            var off = on
            for k in off.pixels.indices { off.pixels[k] = Float(100 + (k % 7)) }
            stacks["run\(run)_on.tif"] = on
            stacks["run\(run)_off.tif"] = off
            for delay in delays.indices {
                frames.append(FrameEntry(delay: delay, run: run, kind: .pumpOn, file: "run\(run)_on.tif", page: delay))
                frames.append(FrameEntry(delay: delay, run: run, kind: .pumpOff, file: "run\(run)_off.tif", page: delay))
            }
        }
        stacks["dark.tif"] = ImageStack(width: 24, height: 20, pixels: (0..<480).map { Float($0 % 5) })
        frames.append(FrameEntry(delay: nil, fluence: nil, wavelength: nil, spot: nil, run: nil, kind: .dark, file: "dark.tif", page: 0))
        let manifest = DatasetManifest(
            created: "2026-11-30T08:00:00Z", pixelSizeNm: 55.6, frameWidth: 24, frameHeight: 20,
            axes: ScanAxes(delayFs: delays, fluence: [.init(nAbs: 0.12, pulseEnergyNJ: 1.5)], wavelengthNm: [1000],
                           spot: [.init(xUm: 10, yUm: -5)], runs: 2),
            instrument: ["camera.exposure": InstrumentSetting(20, unit: "ms"), "camera.model": InstrumentSetting("simulated EMCCD"),
                         "stage.reversed": InstrumentSetting(false), "stage.passes": InstrumentSetting(2)],
            frames: frames)
        return (manifest, stacks)
    }

    func testADatasetRoundTrips() throws {
        let folder = TemporaryFolder()
        let (manifest, stacks) = try simulatedDataset()
        try Dataset.write(manifest, stacks: stacks, to: folder.path)
        let dataset = try Dataset.open(folder.path)
        XCTAssertEqual(dataset.manifest, manifest)
        XCTAssertEqual(dataset.manifest.schema, "femtofit-dataset/1")
        XCTAssertEqual(dataset.manifest.instrument["camera.exposure"], InstrumentSetting(20, unit: "ms"))
        XCTAssertTrue(dataset.hasPreTimeZeroFrames)
        for run in 0..<2 {
            for delay in delays.indices {
                let on = dataset.entries(.pumpOn, delay: delay, run: run)
                XCTAssertEqual(on.count, 1)
                XCTAssertEqual(try dataset.frame(on[0]), Array(stacks["run\(run)_on.tif"]!.frame(delay)), "run \(run) delay \(delay)")
                let dark = dataset.entries(.dark, delay: delay, run: run)
                XCTAssertEqual(dark.map(\.file), ["dark.tif"], "a dark frame without axes applies everywhere")
            }
        }
        // The JSON names its fields as the documentation does.
        let text = try String(contentsOfFile: folder.file("dataset.json"), encoding: .utf8)
        for key in ["\"delay_fs\"", "\"pixel_size_nm\"", "\"n_abs\"", "\"pulse_energy_nj\"", "\"wavelength_nm\"", "\"x_um\"", "\"pump_off\""] {
            XCTAssertTrue(text.contains(key), "dataset.json has \(key)")
        }
    }

    /// Writes `manifest` over a valid dataset's dataset.json (bypassing the writer's checks) and
    /// returns the error opening it gives.
    func openError(_ change: (inout DatasetManifest) -> Void, stacks alter: ((TemporaryFolder) throws -> Void)? = nil,
                   file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let folder = TemporaryFolder()
        var (manifest, stacks) = try simulatedDataset()
        try Dataset.write(manifest, stacks: stacks, to: folder.path)
        change(&manifest)
        stacks = [:]
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: folder.file("dataset.json")))
        try alter?(folder)
        do {
            _ = try Dataset.open(folder.path)
            XCTFail("the dataset opened", file: file, line: line)
            return ""
        } catch let error as TAMDataError {
            return error.description
        }
    }

    func testBadDatasetsAreRefusedWithClearErrors() throws {
        func expect(_ message: String, _ wanted: [String], file: StaticString = #filePath, line: UInt = #line) {
            for part in wanted { XCTAssertTrue(message.contains(part), "'\(message)' should say '\(part)'", file: file, line: line) }
        }
        expect(try openError { $0.frames.removeAll { $0.kind == .pumpOff && $0.run == 1 && $0.delay == 3 } },
               ["dataset.json", "1 frame is missing", "delay 100.0 fs (index 3)", "run 1", "no pump_off frame", "resume it"])
        expect(try openError { $0.axes.delayFs = [-200, 0, -100, 100, 300] }, ["axes.delay_fs[2]", "strictly increasing"])
        expect(try openError { $0.axes.delayFs = [-200, -100, -100, 100, 300] }, ["axes.delay_fs[2] repeats -100.0 fs"])
        expect(try openError { $0.frames[3].delay = 7 }, ["frames[3]", "delay index 7", "0 to 4"])
        expect(try openError { $0.frames[4] = $0.frames[2] }, ["frames[4]", "repeats frames[2]"])
        expect(try openError { $0.frames[0].file = "../elsewhere.tif" }, ["frames[0]", "inside it"])
        expect(try openError { $0.frames[1].run = nil }, ["frames[1]", "has no run", "only dark frames"])
        expect(try openError { $0.frameWidth = 32 }, ["dark.tif", "24x20", "32x20", "disagree"])
        expect(try openError { $0.frames[9].page = 12 }, ["run0_off.tif", "page 12", "5 pages", "truncated"])
        expect(try openError({ _ in }, stacks: { try FileManager.default.removeItem(atPath: $0.file("run1_on.tif")) }), ["run1_on.tif"])
        expect(try openError { $0.schema = "femtofit-dataset/2" }, ["femtofit-dataset/2", "newer", "update femtofit"])
        expect(try openError { $0.schema = "acme-scan" }, ["\"acme-scan\"", "does not know", "femtofit-dataset/1"])
        expect(try openError { $0.pixelSizeNm = 0 }, ["pixel_size_nm"])
        expect(try openError({ _ in }, stacks: { folder in
            let data = try Data(contentsOf: URL(fileURLWithPath: folder.file("dataset.json")))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: folder.file("dataset.json")))
        }), ["dataset.json", "cut short"])
        expect(try openError({ _ in }, stacks: { folder in
            try Data(#"{"schema": "femtofit-dataset/1", "pixel_size_nm": 55.6}"#.utf8).write(to: URL(fileURLWithPath: folder.file("dataset.json")))
        }), ["dataset.json", "is missing"])
        let empty = TemporaryFolder()
        XCTAssertThrowsError(try Dataset.open(empty.path)) { XCTAssertTrue("\($0)".contains("no dataset.json here"), "\($0)") }
    }

    /// The writer checks before it writes: nothing lands on disk for a dataset it refuses.
    func testTheWriterRefusesAnInconsistentDatasetBeforeWriting() throws {
        let folder = TemporaryFolder()
        var (manifest, stacks) = try simulatedDataset()
        stacks["dark.tif"] = nil
        XCTAssertThrowsError(try Dataset.write(manifest, stacks: stacks, to: folder.path + "/out")) {
            XCTAssertTrue("\($0)".contains("dark.tif"), "\($0)")
        }
        manifest.frames.removeLast()
        manifest.axes.runs = 3
        XCTAssertThrowsError(try Dataset.write(manifest, stacks: stacks, to: folder.path + "/out")) {
            XCTAssertTrue("\($0)".contains("run 2"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path + "/out"))
    }

    /// A frame that is NaN throughout (a failed exposure) is refused by name; a NaN pixel is data.
    func testAllNaNFramesAreRefusedButNaNPixelsAreKept() throws {
        let folder = TemporaryFolder()
        var (manifest, stacks) = try simulatedDataset()
        var on = stacks["run0_on.tif"]!
        for k in 0..<(on.width * on.height) { on.pixels[2 * on.width * on.height + k] = .nan }
        on.pixels[0] = .nan
        stacks["run0_on.tif"] = on
        manifest.created = nil
        try Dataset.write(manifest, stacks: stacks, to: folder.path)
        let dataset = try Dataset.open(folder.path)
        XCTAssertThrowsError(try dataset.frame(dataset.entries(.pumpOn, delay: 2)[0])) {
            XCTAssertTrue("\($0)".contains("run0_on.tif: page 2 (pump_on, delay 0.0 fs, run 0) is all NaN"), "\($0)")
        }
        XCTAssertTrue(try dataset.frame(dataset.entries(.pumpOn, delay: 0)[0])[0].isNaN)
    }

    /// ΔT/T = (on − off)/(off − dark), averaged over the runs where a pixel has a value; a given
    /// dt_t frame is taken as it is; the most specific dark frame applies. Hand-computed.
    func testDifferentialFramesMatchHandComputedValues() throws {
        let folder = TemporaryFolder()
        func frame(_ values: [Float]) -> ImageStack { ImageStack(width: 2, height: 1, pixels: values) }
        // delay 0: runs 0 and 1 from on/off with darks; delay 1: run 0 a given dt_t frame, run 1 on/off.
        let stacks = ["on.tif": ImageStack(width: 2, height: 1, pixels: [120, 60, 130, 50, 110, 80]),
                      "off.tif": ImageStack(width: 2, height: 1, pixels: [100, 50, 110, 10, 100, 40]),
                      "dark.tif": ImageStack(width: 2, height: 1, pixels: [0, 0, 10, 10]),
                      "dtt.tif": frame([0.5, -0.25])]
        let frames = [
            FrameEntry(delay: 0, run: 0, kind: .pumpOn, file: "on.tif", page: 0), FrameEntry(delay: 0, run: 0, kind: .pumpOff, file: "off.tif", page: 0),
            FrameEntry(delay: 0, run: 1, kind: .pumpOn, file: "on.tif", page: 1), FrameEntry(delay: 0, run: 1, kind: .pumpOff, file: "off.tif", page: 1),
            FrameEntry(delay: 1, run: 0, kind: .dTT, file: "dtt.tif", page: 0),
            FrameEntry(delay: 1, run: 1, kind: .pumpOn, file: "on.tif", page: 2), FrameEntry(delay: 1, run: 1, kind: .pumpOff, file: "off.tif", page: 2),
            // A general dark (0) and one taken at run 1 (10): run 1 uses its own.
            FrameEntry(delay: nil, fluence: nil, wavelength: nil, spot: nil, run: nil, kind: .dark, file: "dark.tif", page: 0),
            FrameEntry(delay: nil, fluence: nil, wavelength: nil, spot: nil, run: 1, kind: .dark, file: "dark.tif", page: 1),
        ]
        let manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: 2, frameHeight: 1, axes: ScanAxes(delayFs: [-100, 200], runs: 2), frames: frames)
        try Dataset.write(manifest, stacks: stacks, to: folder.path)
        let dataset = try Dataset.open(folder.path)
        var plain = Preprocessing()
        plain.subtractBackground = false
        plain.weights = false
        let stack = try plain.run(dataset, series: DifferentialStack.series(of: dataset)[0]).signal
        // delay 0, pixel 0: run 0 (120-100)/100 = 0.2, run 1 (130-110)/(110-10) = 0.2 -> 0.2
        // delay 0, pixel 1: run 0 (60-50)/50 = 0.2, run 1: off - dark = 0, no value -> 0.2
        // delay 1, pixel 0: run 0 given 0.5, run 1 (110-100)/(100-10) = 1/9 -> (0.5 + 1/9)/2
        // delay 1, pixel 1: run 0 given -0.25, run 1 (80-40)/(40-10) = 4/3 -> (-0.25 + 4/3)/2
        let expected: [Double] = [0.2, 0.2, (0.5 + 1.0 / 9) / 2, (-0.25 + 4.0 / 3) / 2]
        for (k, value) in expected.enumerated() { XCTAssertEqual(Double(stack.pixels[k]), value, accuracy: 1e-6, "pixel \(k)") }
        XCTAssertEqual(DifferentialStack.series(of: dataset).count, 1)
    }

    /// A dataset of given ΔT/T frames: `frames[run][delay]` on a 3x3 grid.
    func dTTDataset(_ frames: [[[Float]]], delays: [Double], in folder: TemporaryFolder) throws -> Dataset {
        var stacks: [String: ImageStack] = [:], entries: [FrameEntry] = []
        for (run, runFrames) in frames.enumerated() {
            stacks["run\(run).tif"] = ImageStack(width: 3, height: 3, pixels: runFrames.flatMap { $0 })
            for delay in delays.indices { entries.append(FrameEntry(delay: delay, run: run, kind: .dTT, file: "run\(run).tif", page: delay)) }
        }
        let manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: 3, frameHeight: 3,
                                       axes: ScanAxes(delayFs: delays, runs: frames.count), frames: entries)
        try Dataset.write(manifest, stacks: stacks, to: folder.path)
        return try Dataset.open(folder.path)
    }

    /// Each preprocessing step against hand-computed values: outlier rejection, the variance of
    /// the run mean (pooled over 3x3), background before time zero, the sign, saturation.
    func testPreprocessingStepsMatchHandComputedValues() throws {
        func uniform(_ v: Float) -> [Float] { [Float](repeating: v, count: 9) }
        // 4 runs, delays -100 and 100 fs. Before time zero every run reads 0.1 (the background);
        // after, runs read 1, 2, 3, 4, except pixel 4 of run 3, which reads 50 (an outlier).
        var frames = (0..<4).map { run in [uniform(0.1), uniform(Float(run + 1))] }
        frames[3][1][4] = 50
        let folder = TemporaryFolder()
        let dataset = try dTTDataset(frames, delays: [-100, 100], in: folder)
        let series = DifferentialStack.series(of: dataset)[0]
        let result = try Preprocessing().run(dataset, series: series)
        XCTAssertEqual(result.rejectedPixels, 1)
        // Pixel 0: mean 2.5 - background 0.1; pixel 4: runs 1, 2, 3 -> 2 - 0.1.
        XCTAssertEqual(result.signal.pixels[9 + 0], 2.4, accuracy: 1e-6)
        XCTAssertEqual(result.signal.pixels[9 + 4], 1.9, accuracy: 1e-6)
        XCTAssertEqual(result.signal.pixels[0], 0, accuracy: 1e-6, "the background frame itself goes to 0")
        // Variance of the mean of 1, 2, 3, 4: (5/3)/4; background variance 0. Pixel 8's 3x3
        // neighbourhood (pixels 4, 5, 7, 8) holds pixel 4's (1/3: var of 1, 2, 3 over 3 runs).
        let variance = try XCTUnwrap(result.variance)
        XCTAssertEqual(variance.pixels[9 + 0], (5.0 / 3 / 4 * 3 + 1.0 / 3) / 4, accuracy: 1e-6, "pixel 0 pools pixels 0, 1, 3 and 4")
        XCTAssertEqual(result.sign, .bleach)
        XCTAssertTrue(result.notes.contains { $0.contains("outliers: 1 of 36 run pixels") }, "\(result.notes)")

        // Photo-induced absorption: a negative spot is flipped positive, and said to be.
        let negative = TemporaryFolder()
        var spot = [Float](repeating: 0, count: 9); spot[4] = -2; spot[1] = -1
        let pia = try Preprocessing().run(try dTTDataset([[uniform(0), spot]], delays: [-50, 50], in: negative), series: series)
        XCTAssertEqual(pia.sign, .photoinducedAbsorption)
        XCTAssertEqual(pia.signal.pixels[9 + 4], 2)
        XCTAssertNil(pia.variance, "one run: no variance")
        XCTAssertTrue(pia.notes.contains { $0.contains("flipped") } && pia.notes.contains { $0.contains("unweighted") }, "\(pia.notes)")
        var keep = Preprocessing(); keep.positiveSign = false
        let kept = TemporaryFolder()
        XCTAssertEqual(try keep.run(try dTTDataset([[uniform(0), spot]], delays: [-50, 50], in: kept), series: series).signal.pixels[9 + 4], -2)

        // No frames before time zero: background subtraction refuses, naming the way out.
        let late = TemporaryFolder()
        XCTAssertThrowsError(try Preprocessing().run(try dTTDataset([[uniform(1)]], delays: [10], in: late), series: series)) {
            XCTAssertTrue("\($0)".contains("dataset.json") && "\($0)".contains("--no-background"), "\($0)")
        }
    }

    /// Pump-on or pump-off pixels at the saturation level are masked, from the dataset's
    /// camera.saturation setting or the option.
    func testSaturatedPixelsAreMasked() throws {
        let folder = TemporaryFolder()
        let on = ImageStack(width: 2, height: 1, pixels: [65535, 120, 200, 130])
        let off = ImageStack(width: 2, height: 1, pixels: [100, 100, 100, 100])
        let frames = [FrameEntry(delay: 0, kind: .pumpOn, file: "on.tif", page: 0), FrameEntry(delay: 0, kind: .pumpOff, file: "off.tif", page: 0),
                      FrameEntry(delay: 1, kind: .pumpOn, file: "on.tif", page: 1), FrameEntry(delay: 1, kind: .pumpOff, file: "off.tif", page: 1)]
        let manifest = DatasetManifest(pixelSizeNm: 50, frameWidth: 2, frameHeight: 1, axes: ScanAxes(delayFs: [-10, 10]),
                                       instrument: ["camera.saturation": InstrumentSetting(65535, unit: "counts")], frames: frames)
        try Dataset.write(manifest, stacks: ["on.tif": on, "off.tif": off], to: folder.path)
        let dataset = try Dataset.open(folder.path)
        var options = Preprocessing(); options.subtractBackground = false
        let result = try options.run(dataset, series: DifferentialStack.series(of: dataset)[0])
        XCTAssertEqual(result.saturatedPixels, 1)
        XCTAssertTrue(result.signal.pixels[0].isNaN)
        XCTAssertEqual(result.signal.pixels[1], 0.2, accuracy: 1e-6)
        options.saturationLevel = 150
        XCTAssertEqual(try options.run(dataset, series: DifferentialStack.series(of: dataset)[0]).saturatedPixels, 2)
    }

    /// Stacks written for Fiji: the ImageJ block (frames, unit), the pixel size, one slice label
    /// per frame (log-spaced delays cannot be an ImageJ calibration); the dataset writer labels
    /// each page with its place in the scan.
    func testStacksCarryImageJHyperstackMetadata() throws {
        let folder = TemporaryFolder()
        let stack = ImageStack(width: 5, height: 4, pixels: (0..<60).map(Float.init))
        let labels = ImageJMetadata.delayLabels([-100, 20, 1500.5])
        XCTAssertEqual(labels, ["t = -100 fs", "t = 20 fs", "t = 1500.5 fs"])
        try TIFFStack.write(stack, to: folder.file("s.tif"), description: "{\"femtofit_version\":\"x\"}",
                            imageJ: ImageJMetadata(pixelSize: 55.6, frameLabels: labels))
        XCTAssertEqual(try TIFFStack.read(folder.file("s.tif")), stack)
        XCTAssertEqual(try TIFFStack.imageJLabels(folder.file("s.tif")), labels)
        let description = try XCTUnwrap(try TIFFStack.description(folder.file("s.tif")))
        XCTAssertTrue(description.hasPrefix("ImageJ=1.11a\nimages=3\nframes=3\nunit=nm\nhyperstack=true\n"), description)
        XCTAssertTrue(description.contains("femtofit={\"femtofit_version\":\"x\"}"), description)
        XCTAssertThrowsError(try TIFFStack.write(stack, to: folder.file("t.tif"), imageJ: ImageJMetadata(pixelSize: 1, frameLabels: ["a"])))
        try TIFFStack.write(stack, to: folder.file("plain.tif"))
        XCTAssertNil(try TIFFStack.imageJLabels(folder.file("plain.tif")), "no ImageJ tags unless asked")

        let (manifest, stacks) = try simulatedDataset()
        try Dataset.write(manifest, stacks: stacks, to: folder.path + "/data")
        XCTAssertEqual(try TIFFStack.imageJLabels(folder.path + "/data/run1_off.tif")?[3], "pump_off, delay 100.0 fs, run 1")
    }

    /// Stacks past 4 GB need BigTIFF; written on request here (small), read back unchanged.
    func testBigTIFFStacks() throws {
        let folder = TemporaryFolder()
        let stack = ImageStack(width: 9, height: 7, pixels: (0..<(9 * 7 * 3)).map { Float($0) * 0.5 })
        try TIFFStack.write(stack, to: folder.file("big.tif"), bigTIFF: true)
        let header = try Data(contentsOf: URL(fileURLWithPath: folder.file("big.tif"))).prefix(4)
        XCTAssertEqual(Array(header), [0x49, 0x49, 43, 0], "little-endian BigTIFF magic")
        XCTAssertEqual(try TIFFStack.read(folder.file("big.tif")), stack)
        XCTAssertEqual(try TIFFStack.readPage(folder.file("big.tif"), page: 2).pixels, Array(stack.frame(2)))
        try TIFFStack.write(stack, to: folder.file("classic.tif"))
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("classic.tif"))).prefix(4)), [0x49, 0x49, 42, 0])
    }
}
