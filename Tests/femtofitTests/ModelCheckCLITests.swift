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
