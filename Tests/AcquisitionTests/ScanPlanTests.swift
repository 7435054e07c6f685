import Foundation
import Acquisition
import TAMData
import XCTest

/// Scan plans read from TOML, and plans the hardware cannot do refused before anything moves.
final class ScanPlanTests: XCTestCase {
    let example = """
    name = "pure film, three fluences"
    runs = 2
    pairs = 4
    fluences_nj = [2, 5, 9]
    wavelengths_nm = [800, 850]
    max_dropped_frames = 3

    [delays]
    pre_time_zero_fs = { start = -3000, stop = -1000, count = 3 }
    list_fs = [150]

    [[delays.segments]]
    linear = { start = 0, stop = 1000, step = 250 }

    [[delays.segments]]
    log = { start = 1000, stop = 100000, count = 3 }

    [[spots]]
    x_um = 0
    y_um = 0

    [[spots]]
    x_um = 20
    y_um = -10

    [camera]
    exposure_ms = 5
    em_gain = 100
    """

    func testPlanReadsSegmentsAndOrdersPoints() throws {
        let plan = try ScanPlan.parse(example)
        XCTAssertEqual(plan.name, "pure film, three fluences")
        XCTAssertEqual(plan.delays, [-3000, -2000, -1000, 0, 150, 250, 500, 750, 1000, 10000, 100000],
                       "pre-time-zero, list, linear and log segments merged; the shared 1000 fs once")
        XCTAssertEqual(plan.pulseEnergiesNJ, [2, 5, 9])
        XCTAssertEqual(plan.wavelengthsNm, [800, 850])
        XCTAssertEqual(plan.spots, [ScanAxes.Spot(xUm: 0, yUm: 0), ScanAxes.Spot(xUm: 20, yUm: -10)])
        XCTAssertEqual(plan.runs, 2)
        XCTAssertEqual(plan.pairs, 4)
        XCTAssertEqual(plan.maximumDroppedFrames, 3)
        XCTAssertEqual(plan.camera, ["camera.exposure_ms": .number(5), "camera.em_gain": .number(100)])
        let points = plan.points
        XCTAssertEqual(points.count, 11 * 3 * 2 * 2 * 2)
        XCTAssertEqual(Set(points).count, points.count)
        XCTAssertEqual(points[0], ScanPlan.Point(delay: 0, fluence: 0, wavelength: 0, spot: 0, run: 0))
        XCTAssertEqual(points[1].delay, 1, "the delay moves fastest")
        XCTAssertEqual(points[11].run, 1, "a run is a whole delay sweep")
        XCTAssertEqual(points.last, ScanPlan.Point(delay: 10, fluence: 2, wavelength: 1, spot: 1, run: 1))
    }

    /// A plan saved on Windows (a byte-order mark, CRLF) or an old Mac (CR) reads as the same plan,
    /// from text and from a file.
    /// Non-ASCII text is fine in strings and comments (only names must be ASCII).
    func testNonASCIIInStringsAndCommentsIsRead() throws {
        let text = "name = \"Température «été» \\\" #\" # commentaire: été\n# ligne 2 ünïcode\n[delays]\nlist_fs = [0, 10] # fs, délais\n"
        let plan = try ScanPlan.parse(text, file: "p.toml")
        XCTAssertEqual(plan.name, "Température «été» \" #")
        XCTAssertEqual(plan.delays, [0, 10])
        let literal = try ScanPlan.parse("name = '''\nmesure «été»\n'''\n[delays]\nlist_fs = [0]\n", file: "p.toml")
        XCTAssertEqual(literal.name, "mesure «été»\n")
    }

    func testPlansFromOtherPlatformsReadTheSame() throws {
        let plain = try ScanPlan.parse(example)
        for text in ["\u{FEFF}" + example.replacingOccurrences(of: "\n", with: "\r\n"), example.replacingOccurrences(of: "\n", with: "\r")] {
            let plan = try ScanPlan.parse(text)
            XCTAssertEqual(plan.delays, plain.delays)
            XCTAssertEqual(plan.points, plain.points)
            XCTAssertEqual(plan.camera, plain.camera)
        }
        let path = NSTemporaryDirectory() + "femtofit-plan-\(UUID().uuidString).toml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(("\u{FEFF}" + example.replacingOccurrences(of: "\n", with: "\r\n")).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ScanPlan.load(path).points, plain.points)
    }

    func testBadPlansNameTheFileAndKey() {
        func refusal(_ text: String) -> String {
            do { _ = try ScanPlan.parse(text, file: "p.toml"); return "accepted" } catch { return "\(error)" }
        }
        let cases: [(String, [String])] = [
            ("pairs = 3", ["p.toml", "delays: is missing"]),
            ("[delays]\nlist_fs = [0, 100]\nexposur_ms = 3", ["delays.exposur_ms", "not a key femtofit knows"]),
            ("runs = \"two\"\n[delays]\nlist_fs = [0]", ["runs: must be a finite number, not text"]),
            ("runs = 0\n[delays]\nlist_fs = [0]", ["runs: must be a whole number from 1 to 10000, not 0"]),
            // Found by scripts/hardening (FuzzConfig): a non-ASCII name aborted the process inside toml++.
            ("runs = 2\n[delays]\nlist_fs = [1, 50]\n[[\u{FFFD}pots]]\nx_um = 1\n", ["p.toml", "line 4, column 3", "'\u{FFFD}' is not allowed in a TOML name"]),
            ("runs = 2\n[été]\nx = 1\n", ["line 2, column 2", "'é'"]),
            ("runs = 2\n[.a]\nx = 1\n", ["line 2, column 2", "'.' is not allowed"]),
            ("runs = 2\n  [[ `x]]\nx = 1\n", ["line 2, column 6", "'`' is not allowed"]),
            // Found by the first coverage-guided FuzzConfig run: a header with nothing after its
            // bracket on its line (LF or CRLF) aborted the process inside toml++ too.
            ("runs = 2\n[\nx = 1\n", ["line 2, column 2", "a table header has no name"]),
            ("runs = 2\n[[  \r\nx = 1\n", ["line 2, column 5", "a table header has no name"]),
            // ... and a `}` where an array's item should begin (found by the second run).
            ("fluences_nj = [1, }]\n[delays]\nlist_fs = [0]", ["line 1, column 19", "'}' cannot begin an array's item"]),
            ("[delays]\nlist_fs = [ # none\n  }]", ["line 3, column 3", "'}' cannot begin an array's item"]),
            ("x = { a = [ [ } ] ] }\n[delays]\nlist_fs = [0]", ["line 1, column 15", "'}' cannot begin"]),
            // A `[` starting a line inside a value's array opens an array, not a header.
            ("runs = 2\nextra = [\n  [\n  1], [2]]\n[delays]\nlist_fs = [0]", ["extra", "not a key femtofit knows"]),
            ("température = 3\n[delays]\nlist_fs = [0]", ["line 1, column 5", "'é'"]),
            ("runs = 1.5\n[delays]\nlist_fs = [0]", ["runs: must be a whole number"]),
            ("runs = 1e18\n[delays]\nlist_fs = [0]", ["runs: must be a whole number from 1 to 10000, not 1e+18"]),
            ("pairs = 2e6\n[delays]\nlist_fs = [0]", ["pairs: must be a whole number from 1 to 1000000, not 2000000"]),
            ("retries = -1\n[delays]\nlist_fs = [0]", ["retries: must be a whole number from 0 to 100, not -1"]),
            ("runs = 10000\nfluences_nj = [1, 2, 3]\n[delays]\n[[delays.segments]]\nlinear = { start = 0, stop = 99, count = 100 }",
             ["100 x 3 x 1 x 1 x 10000 = 3000000 points", "at most 1000000", "split it"]),
            ("[delays]\nlist_fs = [0, \"x\"]", ["delays.list_fs: item 1"]),
            ("[delays]\npre_time_zero_fs = [-100, 50]", ["pre_time_zero_fs: 50.0 fs is not before time zero"]),
            ("[delays]\n[[delays.segments]]\nlog = { start = 0, stop = 10, count = 3 }", ["delays.segments[0].log", "0 < start < stop"]),
            ("[delays]\n[[delays.segments]]\nlinear = { start = 0, stop = 10 }", ["give step or count"]),
            ("[delays]\n[[delays.segments]]\nstart = 0", ["delays.segments[0]", "exactly one of linear"]),
            ("fluences_nj = [1, 1]\n[delays]\nlist_fs = [0]", ["fluences_nj: a pulse energy is listed twice"]),
            ("wavelengths_nm = [-800]\n[delays]\nlist_fs = [0]", ["wavelengths_nm"]),
            ("[delays]\nlist_fs = [0]\n[[spots]]\nx_um = 3", ["spots[0].y_um: is missing"]),
            ("[delays\nlist_fs = [0]", ["p.toml", "line 1"]),
            ("[delays]\nlist_fs = []", ["no delays"]),
            ("[delays]\n[[delays.segments]]\nlinear = { start = 0, stop = 1000, step = 1e-17 }", ["delays.segments[0].linear.step", "at most 100000"]),
        ]
        for (text, parts) in cases {
            let message = refusal(text)
            for part in parts { XCTAssertTrue(message.contains(part), "'\(part)' missing from: \(message)\nfor plan:\n\(text)") }
        }
    }

    /// docs/reference.md §6: a 25 mm stage in double pass reaches about 167 ps (153 ps past a zero at 2 mm); a wavelength the wheel
    /// lacks; a pulse energy beyond the attenuator's calibration; a spot off the sample stage; a
    /// camera ROI larger than the sensor. All listed in one error, and nothing has moved.
    func testPlansTheHardwareCannotDoAreRefusedBeforeAnythingMoves() throws {
        let instrument = Instrument.simulated(sensor: 64)
        let plan = ScanPlan(delays: [0, 1000, 170_000], pulseEnergiesNJ: [5, 12], wavelengthsNm: [800, 777],
                            spots: [ScanAxes.Spot(xUm: 0, yUm: 0), ScanAxes.Spot(xUm: 9000, yUm: 0)],
                            camera: ["camera.roi_width": .number(128)])
        for device in instrument.devices { try device.connect() }
        XCTAssertThrowsError(try instrument.validate(plan, file: "plan.toml")) {
            let text = "\($0)"
            for part in ["nothing has moved", "delays[2] = 170000.0 fs is beyond the delay stage's reach", "153439", "wavelengths_nm[1] = 777.0 nm",
                         "700.0, 750.0, 800.0", "fluences_nj[1] = 12.0 nJ", "spots[1] = (9000.0, 0.0)", "camera.roi_width"] {
                XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)")
            }
        }
        XCTAssertEqual(try instrument.delayStage.position(), 2, "the stage is where it started")
        XCTAssertEqual(try instrument.filterWheel.position(), 1)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plan-refused-\(UUID())").path
        let outcome = Result { try Sequencer(plan: plan, instrument: Instrument.simulated(), folder: folder).run() }
        XCTAssertThrowsError(try outcome.get())
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "a refused plan writes nothing")
    }

    func testBadInstrumentFilesNameTheKey() {
        let cases: [(String, [String])] = [
            ("[delay_stage]\nzero_mm = 1e16", ["delay_stage.zero_mm", "±1000"]),
            ("[delay_stage]\nzero_mm = 40", ["delay_stage.zero_mm", "outside travel_mm"]),
            ("[delay_stage]\ndriver = \"newport\"\nport = \"/dev/null\"\ntimeout_s = 1e9", ["delay_stage.timeout_s", "0.01 to 60"]),
            ("[delay_stage]\ndriver = \"newport\"", ["delay_stage.port: is missing"]),
            ("[clock]\nmode = \"virtual\"\n[delay_stage]\ndriver = \"newport-emulator\"", ["clock.mode", "cannot time real or emulated hardware"]),
            ("[camera]\npixel_size_nm = -3", ["camera.pixel_size_nm: must be from 0.001 to 1000000 nm", "not -3.0"]),
            ("[camera]\ndriver = \"replay\"", ["camera.path: is missing"]),
            ("[attenuator]\nsettings = [0, 10]\npulse_energies_nj = [1]", ["attenuator", "calibration"]),
            ("[sample]\npreset = \"glass\"", ["sample.preset", "pure-film"]),
            ("[chopper]\nfrequency_hz = 0", ["chopper.frequency_hz"]),
            ("[microscope]\nx = 1", ["microscope", "not a key femtofit knows"]),
        ]
        for (text, parts) in cases {
            let message: String
            do { _ = try InstrumentFile.parse(text, file: "i.toml"); message = "accepted" } catch { message = "\(error)" }
            for part in parts { XCTAssertTrue(message.contains(part), "'\(part)' missing from: \(message)\nfor:\n\(text)") }
        }
        // Fractional binning and a ROI smaller than the binning are refused by the camera's limits.
        let instrument = Instrument.simulated(sensor: 32)
        XCTAssertThrowsError(try instrument.validate(ScanPlan(delays: [0], camera: ["camera.binning": .number(1.5)]))) {
            XCTAssertTrue("\($0)".contains("not a whole number"), "\($0)")
        }
        let camera = instrument.camera
        XCTAssertNoThrow(try camera.connect())
        XCTAssertThrowsError(try camera.configure(["camera.roi_width": .number(3), "camera.binning": .number(4)])) {
            XCTAssertTrue("\($0)".contains("smaller than the 4x4 binning"), "\($0)")
        }
    }
}
