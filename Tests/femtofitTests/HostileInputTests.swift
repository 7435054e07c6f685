import FemtofitTestSupport
import Foundation
import XCTest

/// The `femtofit` process on hostile input (docs/reliability.md): sizes that lie, checked under a
/// memory limit rather than a timer; fields of the wrong type or out of range; symbolic links;
/// output folders that cannot be written. Every case exits with the table's code and a message
/// that names the file, the field and what to do.
final class HostileInputTests: XCTestCase {
    typealias Run = FemtofitProcess.Run
    var folder: String!
    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-hostile-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// femtofit under `ulimit -v` (1.5 GB of address space): a claimed size that were believed
    /// would need far more, so the process would die with "failed to allocate" (SIGABRT) instead
    /// of exiting 2.
    func limited(_ arguments: [String]) throws -> Run {
        let quoted = ([FemtofitProcess.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "ulimit -v 1500000 && exec \(quoted)"])
    }

    /// A small simulated dataset, and copies of it whose dataset.json `change` edits (the stacks
    /// are linked, not copied).
    func dataset() throws -> String {
        let path = folder + "/dataset"
        let run = try FemtofitProcess.run(["simulate", "--dataset", "--output", path, "--size", "24x24", "--runs", "2", "--seed", "3"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return path
    }

    func variant(of dataset: String, _ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: dataset) where file.hasSuffix(".tif") {
            try FileManager.default.createSymbolicLink(atPath: path + "/" + file, withDestinationPath: dataset + "/" + file)
        }
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dataset + "/dataset.json"))) as? [String: Any])
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path + "/dataset.json"))
        return path
    }

    func expect(_ run: Run, status: Int32, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: line)
        for part in parts { XCTAssertTrue(run.stderr.contains(part), "'\(part)' missing from: \(run.stderr)", file: file, line: line) }
        for word in ["NSCocoaErrorDomain", "errno", "failed to allocate", "Fatal error"] {
            XCTAssertFalse(run.stderr.contains(word), "'\(word)' in: \(run.stderr)", file: file, line: line)
        }
    }

    func testClaimedSizesAreCheckedBeforeAnythingIsAllocated() throws {
        let good = try dataset()
        func axes(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { json in var axes = json["axes"] as! [String: Any]; axes[key] = value; json["axes"] = axes }
        }
        let runs = try variant(of: good, "runs", axes("runs", 1_000_000_000_000_000))
        let spots = try variant(of: good, "spots", axes("spot", [[String: Any]](repeating: ["x_um": 0, "y_um": 0], count: 100_000)))
        for input in [runs, spots] {
            for command in ["fit", "analyze"] {
                expect(try limited([command, input, "--output", folder + "/out-\(command)"]), status: 2,
                       [input + "/dataset.json", "the axes claim", "the index lists only 252 frames"])
            }
        }
        // A TIFF page claiming 60000 x 60000 float32 pixels (14 GB) in a 200-byte file.
        let tiff = folder + "/claims.tif"
        try HostileFiles.tiffClaiming(width: 60_000, height: 60_000).write(to: URL(fileURLWithPath: tiff))
        expect(try limited(["fit", tiff, "--output", folder + "/t"]), status: 2, ["claims.tif", "60000x60000", "more than the"])
        // A plan whose counts multiply past what one scan holds, and one absurd count.
        let plan = folder + "/huge.toml"
        try "runs = 10000\n[delays]\n[[delays.segments]]\nlinear = { start = 0, stop = 99999, count = 100000 }\n"
            .write(toFile: plan, atomically: true, encoding: .utf8)
        expect(try limited(["acquire", plan, "--output", folder + "/a"]), status: 2, ["huge.toml", "100000 x 1 x 1 x 1 x 10000", "at most 1000000"])
        try "runs = 1e18\n[delays]\nlist_fs = [0]\n".write(toFile: plan, atomically: true, encoding: .utf8)
        expect(try limited(["acquire", plan, "--output", folder + "/a"]), status: 2, ["huge.toml", "runs", "from 1 to 10000"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/a"), "a refused plan writes nothing")
    }

    func testFieldsOfTheWrongTypeOrRangeAreNamed() throws {
        let good = try dataset()
        let halfRun = try variant(of: good, "half") { json in var axes = json["axes"] as! [String: Any]; axes["runs"] = 1.5; json["axes"] = axes }
        expect(try FemtofitProcess.run(["fit", halfRun, "-o", folder + "/o"]), status: 2, ["dataset.json", "axes.runs is 1.5", "whole number"])
        let kind = try variant(of: good, "kind") { json in
            var frames = json["frames"] as! [[String: Any]]; frames[0]["kind"] = "pump_maybe"; json["frames"] = frames
        }
        expect(try FemtofitProcess.run(["fit", kind, "-o", folder + "/o"]), status: 2, ["frames[0].kind", "pump_maybe"])
        let pump = try variant(of: good, "pump") { json in
            var axes = json["axes"] as! [String: Any]; axes["fluence"] = [["pulse_energy_nj": 2.0]]; json["axes"] = axes
            var instrument = json["instrument"] as! [String: Any]
            instrument["pump.wavelength_nm"] = ["value": -5]
            instrument["pump.beam_radius_um"] = ["value": 3]
            instrument["sample.cross_section_cm2"] = ["value": 1e-15]
            json["instrument"] = instrument
        }
        for command in ["fit", "analyze"] {
            expect(try FemtofitProcess.run([command, pump, "-o", folder + "/o"]), status: 2, ["dataset.json", "axes.fluence[0]", "pump.wavelength_nm"])
        }
        let pixel = try variant(of: good, "pixel") { $0["pixel_size_nm"] = 1e308 }
        expect(try FemtofitProcess.run(["fit", pixel, "-o", folder + "/o"]), status: 2, ["pixel_size_nm", "0.001 to 1000000"])
        expect(try FemtofitProcess.run(["fit", good, "-o", folder + "/o", "--pixel-size", "1e308"]), status: 64, ["--pixel-size", "0.001 to 1000000"])
        expect(try FemtofitProcess.run(["analyze", good, "-o", folder + "/o", "--pixel-size", "0"]), status: 64, ["--pixel-size"])
        expect(try FemtofitProcess.run(["analyze", good, "-o", folder + "/o", "--temperature", "1e9"]), status: 64, ["--temperature", "0 to 10000 K"])
        // --raw-shape on a folder that is not a dataset says so, not "is a dataset folder".
        try FileManager.default.createDirectory(atPath: folder + "/plain", withIntermediateDirectories: true)
        expect(try FemtofitProcess.run(["fit", folder + "/plain", "--raw-shape", "15x15", "-o", folder + "/o"]), status: 2, ["plain: is a folder;", "raw ROI file"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/o/fits.json"))
    }

    func testOutputFoldersThatCannotBeWrittenAreNamedBeforeFitting() throws {
        let good = try dataset()
        try "x".write(toFile: folder + "/plain", atomically: true, encoding: .utf8)
        expect(try FemtofitProcess.run(["fit", good, "-o", folder + "/plain/out"]), status: 74,
               ["plain/out", "cannot create the output folder", folder + "/plain", "is not a folder"])
        expect(try FemtofitProcess.run(["analyze", good, "-o", folder + "/plain/deeper/out"]), status: 74, [folder + "/plain", "not a folder"])
        // fits.json a folder: the commit cannot put the record in place; the run's other files
        // are not left beside an earlier run's.
        try FileManager.default.createDirectory(atPath: folder + "/taken/fits.json", withIntermediateDirectories: true)
        let blocked = try FemtofitProcess.run(["fit", good, "-o", folder + "/taken"])
        expect(blocked, status: 74, ["fits.json", "folder where a file is needed"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/taken").filter { !$0.hasPrefix(".") }.sorted(),
                       ["fits.json"], "nothing that looks complete is left")
    }

    /// Symbolic links (docs/dataset-format.md, "Symbolic links"): a stack linked from elsewhere
    /// is read; a link to a device, a folder or itself is refused by name before it is opened.
    func testSymbolicLinksInADataset() throws {
        let good = try dataset()
        let linked = try variant(of: good, "linked") { _ in }
        let fitted = try FemtofitProcess.run(["fit", linked, "-o", folder + "/fits"])
        XCTAssertEqual(fitted.status, 0, fitted.stderr)
        let stack = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: linked).first { $0.hasSuffix(".tif") })
        for (target, words) in [("/dev/zero", "not a regular file"), (linked, "not a regular file"), (linked + "/" + stack, "loop")] {
            try FileManager.default.removeItem(atPath: linked + "/" + stack)
            try FileManager.default.createSymbolicLink(atPath: linked + "/" + stack, withDestinationPath: target)
            expect(try limited(["fit", linked, "-o", folder + "/o"]), status: 2, [stack, words])
        }
    }
}
