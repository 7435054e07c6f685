import Foundation
import TAMData
import XCTest

/// `femtofit acquire` as a lab runs it: a real process, killed with SIGKILL at random moments and
/// resumed until done, with every finished point intact; bad plans and instrument files refused
/// with exit 2; a scan through the serial driver against the emulated controller.
final class AcquireCommandTests: XCTestCase {
    var folder: String!
    enum cli {
        static var binary: URL { FemtofitProcess.binary }
        static func femtofit(_ arguments: [String]) throws -> FemtofitProcess.Run { try FemtofitProcess.run(arguments) }
    }

    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-acquire-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ text: String, _ name: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let plan = """
    name = "kill test"
    runs = 2
    pairs = 40
    fluences_nj = [3, 9]
    [delays]
    pre_time_zero_fs = [-500]
    [[delays.segments]]
    log = { start = 100, stop = 100000, count = 14 }
    """

    /// The journal's complete lines: point file names.
    func journalFiles(_ out: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: out + "/points.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let json = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return json["file"] as! String
        }
    }

    func testKillNineAtRandomMomentsThenResume() throws {
        let plan = try write(Self.plan, "plan.toml")
        let out = folder + "/scan"
        var generator = SystemRandomNumberGenerator()
        var kept: [String: Data] = [:]
        var kills: [Double] = []
        var killedMidScan = 0
        for attempt in 0..<4 {
            let process = Process()
            process.executableURL = cli.binary
            process.arguments = ["acquire", plan, "--output", out] + (attempt == 0 ? [] : ["--resume"])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let wait = Double.random(in: 0.15...1.2, using: &generator)
            kills.append(wait)
            Thread.sleep(forTimeInterval: wait)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let journalled = try journalFiles(out).count
            if process.terminationReason == .uncaughtSignal, journalled > 0, journalled < 60 { killedMidScan += 1 }
            // Every point the journal holds is a whole, readable frame file that never changes again.
            for file in try journalFiles(out) {
                let data = try XCTUnwrap(FileManager.default.contents(atPath: out + "/" + file), "\(file) after kills at \(kills)")
                if let earlier = kept[file] { XCTAssertEqual(earlier, data, "\(file) changed after kills at \(kills)") }
                kept[file] = data
                XCTAssertEqual(try TIFFStack.shape(out + "/" + file).pages, 3, "\(file) after kills at \(kills)")
            }
        }
        XCTAssertGreaterThan(killedMidScan, 0, "no kill landed in the middle of the scan (kills at \(kills)); the test did not test")
        let finish = try cli.femtofit(["acquire", plan, "--output", out, "--resume"])
        XCTAssertEqual(finish.status, 0, "kills at \(kills): \(finish.stderr)")
        let dataset = try Dataset.open(out)
        let points = 15 * 2 * 2
        XCTAssertEqual(dataset.manifest.frames.count, points * 3)
        let files = try journalFiles(out)
        XCTAssertEqual(files.count, points, "one journal line per point after kills at \(kills)")
        XCTAssertEqual(Set(files).count, points, "no point taken twice after kills at \(kills)")
        for (file, data) in kept { XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + file), data, "\(file) rewritten") }
        let log = try String(contentsOfFile: out + "/acquisition.log", encoding: .utf8)
        XCTAssertTrue(log.contains("resumed:") && log.contains("finished:"), log)
    }

    func testBadPlansAndFoldersExitTwoWithTheReason() throws {
        let good = try write(Self.plan, "plan.toml")
        let cases: [([String], [String])] = [
            (["acquire", try write("pairs = 3\n[delays]\nlist_fs = [0, 200000]", "far.toml"), "--output", folder + "/a"],
             ["far.toml", "delays[1] = 200000.0 fs is beyond the delay stage's reach", "nothing has moved"]),
            (["acquire", try write("[delays]\nlist_fs = [0]\nlsit = 3", "typo.toml"), "--output", folder + "/b"], ["typo.toml", "delays.lsit"]),
            (["acquire", folder + "/missing.toml", "--output", folder + "/c"], ["missing.toml", "no such file"]),
            (["acquire", good, "--output", folder + "/d", "--resume"], ["no acquisition to resume"]),
            (["acquire", good, "--output", folder + "/e", "--instrument", try write("[delay_stage]\ndriver = \"thorlabs\"", "i1.toml")],
             ["i1.toml", "delay_stage.driver", "'thorlabs'", "newport"]),
            (["acquire", good, "--output", folder + "/f", "--instrument", try write("[filter_wheel]\nwavelengths_nm = [700, 750]", "i2.toml")],
             ["wavelengths_nm[0] = 800.0 nm", "700.0, 750.0"]),
            (["acquire", good, "--output", folder + "/g", "--instrument", try write("[camera]\nexposure_ms = 3", "i3.toml")],
             ["camera.exposure_ms", "not a key femtofit knows"]),
        ]
        for (arguments, parts) in cases {
            let run = try cli.femtofit(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            for part in parts { XCTAssertTrue(run.stderr.contains(part), "'\(part)' missing from: \(run.stderr)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/a"), "a refused plan writes nothing")

        // The demo never deletes a dataset it did not write.
        try FileManager.default.createDirectory(atPath: folder + "/lab/dataset", withIntermediateDirectories: true)
        try "real data".write(toFile: folder + "/lab/dataset/acquisition.json", atomically: true, encoding: .utf8)
        let demo = try cli.femtofit(["demo", "--output", folder + "/lab"])
        XCTAssertEqual(demo.status, 2, demo.stderr)
        XCTAssertTrue(demo.stderr.contains("was not written by femtofit demo"), demo.stderr)
        XCTAssertEqual(try String(contentsOfFile: folder + "/lab/dataset/acquisition.json", encoding: .utf8), "real data")
    }

    /// The Newport driver over a pseudo-terminal serial port against the emulated controller,
    /// in real time, inside a whole scan.
    func testScanThroughTheEmulatedSerialDelayStage() throws {
        let plan = try write("""
        pairs = 3
        fluences_nj = [9]
        [delays]
        list_fs = [-300, 0, 300, 3000]
        """, "short.toml")
        let instrument = try write("""
        [delay_stage]
        driver = "newport-emulator"
        zero_mm = 5
        velocity_mm_s = 20
        [camera]
        sensor = 24
        """, "serial.toml")
        let out = folder + "/serial"
        let run = try cli.femtofit(["acquire", plan, "--output", out, "--instrument", instrument])
        XCTAssertEqual(run.status, 0, run.stderr)
        let dataset = try Dataset.open(out)
        XCTAssertEqual(dataset.manifest.axes.delayFs, [-300, 0, 300, 3000])
        XCTAssertEqual(dataset.manifest.instrument["stage.controller"], InstrumentSetting("CONEX-CC emulator femtofit"))
        XCTAssertEqual(dataset.manifest.instrument["instrument.source"], InstrumentSetting(instrument))
        let devices = try cli.femtofit(["devices", "--instrument", instrument])
        XCTAssertEqual(devices.status, 0, devices.stderr)
        XCTAssertTrue(devices.stdout.contains("delay stage: connected — NewportDelayStage: CONEX-CC emulator femtofit on /dev/pts/"), devices.stdout)
        XCTAssertTrue(devices.stdout.contains("READY"), devices.stdout)
    }
}
