import FitCore
import ModelLanguage
import XCTest

/// A model file's text (`ModelText`, the TOML subset the CLI, the C library and Python read):
/// every form a file may take, read back from what `text` writes, and each fault said with its line.
final class ModelTextTests: XCTestCase {
    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        XCTFail("expected an error")
        return ""
    }

    func testEveryFormIsRead() throws {
        let definition = try ModelText.parse("""
            # a comment line
            name = "tilted"   # a comment after a value
            coordinates = [ "x",
                            "y" ]
            parameters = ['A', "x0", "y0", "s", "B"]
            expression = \"\"\"
            A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) \\
              + B\"\"\"

            [start]
            A = "max - min"
            "x0" = "centroid_x"
            [bounds]
            s = [0, "inf"]
            B = [-1e3, 1_000]
            [positions]
            x = "x0"
            y = "y0"
            """)
        XCTAssertEqual(definition.name, "tilted")
        XCTAssertEqual(definition.coordinates, ["x", "y"])
        XCTAssertEqual(definition.parameters, ["A", "x0", "y0", "s", "B"])
        XCTAssertEqual(definition.expression, "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B")
        XCTAssertEqual(definition.start, ["A": "max - min", "x0": "centroid_x"])
        XCTAssertEqual(definition.bounds["s"], 0...Double.infinity)
        XCTAssertEqual(definition.bounds["B"], -1000...1000)
        XCTAssertEqual(definition.positions, ["x": "x0", "y": "y0"])
        // What `text` writes reads back to the same definition, quotes and newlines included.
        var odd = definition
        odd.expression = "A * exp(-(x - x0)^2)\n + B * (y - y0) + s"
        XCTAssertEqual(try ModelText.parse(ModelText.text(odd)), odd)
        XCTAssertEqual(try ModelText.parse("\u{FEFF}name = \"m\"\r\ncoordinates = [\"t\"]\r\nparameters = [\"a\"]\r\nexpression = \"a * t\"\r\n").name, "m",
                       "a byte-order mark and CRLF line ends")
    }

    func testFaultsSayTheirLine() {
        let head = "name = \"m\"\ncoordinates = [\"t\"]\nparameters = [\"a\"]\nexpression = \"a * t\"\n"
        XCTAssertTrue(message { _ = try ModelText.parse(head + "colour = 1\n") }.contains("line 5: unknown key 'colour'"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "[strat]\na = \"1\"\n") }.contains("did you mean 'start'?"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "name = \"n\"\n") }.contains("'name' is given twice"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "[start]\na = \"1\"\na = \"2\"\n") }.contains("names 'a' twice"))
        XCTAssertTrue(message { _ = try ModelText.parse("name = \"m\n") }.contains("line 1: a string is not closed"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "start = { a = \"1\" }\n") }.contains("inline tables"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "start.a = \"1\"\n") }.contains("dotted keys"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "[bounds]\na = [1]\n") }.contains("must be [lower, upper]"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "[bounds]\na = [2, 1]\n") }.contains("lower 2.0 above the upper 1.0"))
        XCTAssertTrue(message { _ = try ModelText.parse(head + "[start]\na = 3\n") }.contains("expression in quotes"))
        XCTAssertTrue(message { _ = try ModelText.parse("coordinates = [\"t\"]\n") }.contains("'name' is missing"))
        XCTAssertTrue(message { _ = try ModelText.parse("name = m\n") }.contains("'m' is no value"))
        XCTAssertTrue(message { _ = try ModelText.parse("name = \"m\" \"n\"\n") }.contains("one key = value per line"))
        XCTAssertTrue(message { _ = try ModelText.parse(head.replacingOccurrences(of: "[\"t\"]", with: "\"t\"")) }.contains("list of names"))
        // Positions name grid parameters.
        var grid = try! ModelText.parse("name = \"g\"\ncoordinates = [\"x\", \"y\"]\nparameters = [\"a\", \"c\"]\nexpression = \"a * x + c * y\"\n")
        grid.positions = ["z": "a"]
        XCTAssertTrue(message { _ = try grid.compile() }.contains("axes are x and y"))
        grid.positions = ["x": "b"]
        XCTAssertTrue(message { _ = try grid.compile() }.contains("positions name 'b', which is no parameter"))
    }
}
