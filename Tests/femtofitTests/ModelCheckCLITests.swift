import Foundation
import XCTest
import FemtofitTestSupport

/// `femtofit model check MODEL.toml`: how a model file was read, and its faults said with the
/// file, the column and a caret.
final class ModelCheckCLITests: XCTestCase {
    var folder: String!
    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-model-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ text: String, _ name: String) throws -> String {
        try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        return folder + "/" + name
    }

    func testAModelFileIsCheckedAndItsFaultsShown() throws {
        let good = try write("""
            name = "gauss2d-tilted"
            coordinates = ["x", "y"]
            parameters = ["A", "x0", "y0", "s", "B", "gx", "gy"]
            expression = "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)"
            [start]
            A = "max - min"
            s = "rms_width"
            [bounds]
            s = [0, "inf"]
            """, "tilted.toml")
        let run = try FemtofitProcess.run(["model", "check", good])
        XCTAssertEqual(run.status, 0, run.stderr)
        for line in ["model gauss2d-tilted: 7 parameters (A, x0, y0, s, B, gx, gy) of (x, y)",
                     "read as: ((((A * exp(((-(((x - x0) ^ 2) + ((y - y0) ^ 2))) / (2 * (s ^ 2))))) + B) + (gx * (x - x0))) + (gy * (y - y0)))",
                     "  A: start max - min", "  s: start rms_width, bounds [0.0, inf]", "  gx: no start expression (give start values)",
                     "derivatives against central differences at 8 of 8 random points"] {
            XCTAssertTrue(run.stdout.contains(line), "'\(line)' not in:\n\(run.stdout)")
        }
        let typo = try write("""
            name = "line"
            coordinates = ["t"]
            parameters = ["a", "b"]
            expression = "a + b * tt"
            """, "typo.toml")
        let bad = try FemtofitProcess.run(["model", "check", typo])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("typo.toml: column 9: expression: unknown name 'tt'") && bad.stderr.contains("did you mean 't'?")
                      && bad.stderr.contains("\n            ^"), bad.stderr)
        let unknownKey = try write("name = \"m\"\ncoordinates = [\"t\"]\nparameters = [\"a\"]\nexpression = \"a * t\"\ncolour = 3\n", "key.toml")
        let keyRun = try FemtofitProcess.run(["model", "check", unknownKey])
        XCTAssertEqual(keyRun.status, 2)
        XCTAssertTrue(keyRun.stderr.contains("colour") && keyRun.stderr.contains("known keys"), keyRun.stderr)
        let missing = try FemtofitProcess.run(["model", "check", folder + "/none.toml"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("none.toml"), missing.stderr)
    }
}

/// Runtime models through the command line: `fit --model-file` gives the built-in gauss2d's fits
/// on a simulated stack, `kinetics --model-file` fits a trace matrix, `bench --model-file` times a
/// model, and each refuses what it cannot do with a message.
final class ModelFileCLITests: XCTestCase {
    var folder: String!
    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-model-file-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ text: String, _ name: String) throws -> String {
        try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        return folder + "/" + name
    }

    func rows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
    }

    func testFitWithAModelFileMatchesTheBuiltInModel() throws {
        let sim = try FemtofitProcess.run(["simulate", "-o", folder + "/sim", "--seed", "\(Int.random(in: 1...1_000_000))"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let model = try write("""
            name = "cli-gauss2d"
            coordinates = ["x", "y"]
            parameters = ["amplitude", "x0", "y0", "sigma", "offset"]
            expression = "amplitude * exp(-((x - x0)^2 + (y - y0)^2) / (2 * sigma^2)) + offset"
            [start]
            amplitude = "amplitude"
            x0 = "centroid_x"
            y0 = "centroid_y"
            sigma = "rms_width"
            offset = "baseline"
            """, "g.toml")
        // Converged tightly in double precision, so both stop at the one minimum: at the default
        // tolerance (chi^2 steady to 1e-4 of itself) two fits of one frame may stop up to ~0.15
        // standard errors apart, which says nothing about whether the models agree.
        let common = [folder + "/sim/stack.tif", "--delays", folder + "/sim/delays.txt", "--backend", "cpu",
                      "--precision", "double", "--tolerance", "1e-10", "--max-iterations", "200"]
        let builtIn = try FemtofitProcess.run(["fit"] + common + ["-o", folder + "/b"])
        let runtime = try FemtofitProcess.run(["fit"] + common + ["-o", folder + "/r", "--model-file", model])
        XCTAssertEqual(builtIn.status, 0, builtIn.stderr)
        XCTAssertEqual(runtime.status, 0, runtime.stderr)
        let b = try rows(folder + "/b/fits.csv"), r = try rows(folder + "/r/fits.csv")
        XCTAssertEqual(b.count, r.count)
        XCTAssertFalse(b.isEmpty)
        for (x, y) in zip(b, r) {
            XCTAssertEqual(x["state"], y["state"])
            for (column, runtimeColumn) in [("x0_px", "x0_px"), ("y0_px", "y0_px"), ("sigma_px", "sigma"), ("amplitude", "amplitude")] {
                let u = Double(x[column]!)!, v = Double(y[runtimeColumn]!)!, se = Double(x[column + "_err"]!)!
                XCTAssertLessThanOrEqual(abs(u - v), max(1e-4 * abs(u), 0.05 * se), "\(column) of frame \(x["index"]!)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/r/shape.csv"), "the shape check is for built-in models")
        let both = try FemtofitProcess.run(["fit"] + common + ["-o", folder + "/x", "--model-file", model, "--model", "gauss2d"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
        let curve = try write("name = \"c\"\ncoordinates = [\"t\"]\nparameters = [\"a\", \"b\"]\nexpression = \"a + b * t\"\n", "c.toml")
        let wrong = try FemtofitProcess.run(["fit"] + common + ["-o", folder + "/y", "--model-file", curve])
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("c.toml") && wrong.stderr.contains("fits curves"), wrong.stderr)
    }

    func testKineticsAndBenchWithAModelFile() throws {
        // Three traces of a decay, one with a missing point.
        var csv = "wavelength_nm/delay_fs," + (0..<40).map { "\(Double($0) * 25)" }.joined(separator: ",") + "\n"
        for (k, (a, tau)) in [(50.0, 200.0), (80.0, 350.0), (30.0, 120.0)].enumerated() {
            csv += "\(500 + 10 * k)," + (0..<40).map { i in i == 7 && k == 1 ? "NaN" : "\(a * exp(-Double(i) * 25 / tau) + 2)" }.joined(separator: ",") + "\n"
        }
        let traces = try write(csv, "traces.csv")
        let model = try write("""
            name = "decay"
            coordinates = ["t"]
            parameters = ["A", "tau", "B"]
            expression = "A * exp(-t / tau) + B"
            [start]
            A = "first - last"
            tau = "200"
            B = "last"
            [bounds]
            tau = [1, "inf"]
            """, "decay.toml")
        let run = try FemtofitProcess.run(["kinetics", traces, "-o", folder + "/k", "--model-file", model])
        XCTAssertEqual(run.status, 0, run.stderr)
        let fits = try rows(folder + "/k/kinetics_model.csv")
        XCTAssertEqual(fits.map { $0["wavelength_nm"]! }, ["500.0", "510.0", "520.0"])
        for (row, tau) in zip(fits, [200.0, 350.0, 120.0]) {
            XCTAssertEqual(row["state"], "converged")
            XCTAssertEqual(Double(row["tau"]!)!, tau, accuracy: 1e-3 * tau)
        }
        let refused = try FemtofitProcess.run(["kinetics", traces, "-o", folder + "/k2", "--model-file", model, "--global"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--global"), refused.stderr)
        let bench = try FemtofitProcess.run(["bench", "--model-file", model, "--truth", "A=50,tau=20,B=2", "--quick", "--backend", "cpu",
                                             "--json", folder + "/bench.json"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        XCTAssertTrue(bench.stdout.contains("decay-lse-100"), bench.stdout)
        let noTruth = try FemtofitProcess.run(["bench", "--model-file", model])
        XCTAssertNotEqual(noTruth.status, 0)
        XCTAssertTrue(noTruth.stderr.contains("--truth"), noTruth.stderr)
    }
}
