import FitCore
import ModelLanguage
import XCTest

/// A model definition (the model file's fields) compiled: start expressions of data statistics,
/// bounds, names, and what is refused.
final class ModelDefinitionTests: XCTestCase {
    let tilted = ModelDefinition(name: "gauss2d-tilted", coordinates: ["x", "y"], parameters: ["A", "x0", "y0", "s", "B", "gx", "gy"],
                                 expression: "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)",
                                 start: ["A": "max - min", "x0": "centroid_x", "y0": "centroid_y", "s": "rms_width", "B": "min", "gx": "0"],
                                 bounds: ["s": 0...Double.infinity])

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    func testATiltedGaussianCompiles() throws {
        let compiled = try tilted.compile()
        XCTAssertEqual(compiled.parametersWithoutStart, ["gy"])
        XCTAssertEqual(compiled.starts["A"]!.evaluate(["max": 130, "min": 30]), 100)
        XCTAssertEqual(compiled.starts["gx"]!.evaluate([:]), 0)
        XCTAssertEqual(compiled.starts["x0"]!.evaluate(["centroid_x": 6.5]), 6.5)
        XCTAssertLessThan(compiled.derivativeCheck.worstDiscrepancy, DerivativeCheck.tolerance)
        XCTAssertEqual(compiled.derivativeCheck.pointsChecked, 8)
        XCTAssertTrue(compiled.openCLSource.contains("FF_INLINE real ff_model(const real* p, real x, real y, real* d)"))
    }

    func testBadDefinitionsAreRefusedWithWhatToDo() throws {
        var d = tilted
        d.name = "gauss2d"
        XCTAssertTrue(message { _ = try d.compile() }.contains("built-in model's"))
        d.name = "Tilted Gauss"
        XCTAssertTrue(message { _ = try d.compile() }.contains("not a model name"))
        d = tilted
        d.start["sigma"] = "rms_width"
        XCTAssertTrue(message { _ = try d.compile() }.contains("start names 'sigma', which is no parameter"))
        d = tilted
        d.start["A"] = "maxx - min"
        let unknown = message { _ = try d.compile() }
        XCTAssertTrue(unknown.contains("start value of A") && unknown.contains("did you mean 'max'?"), unknown)
        d = tilted
        d.start["x0"] = "argmax_t"
        XCTAssertTrue(message { _ = try d.compile() }.contains("argmax_t is a statistic of curves"))
        d = tilted
        d.bounds["sigma"] = 0...1
        XCTAssertTrue(message { _ = try d.compile() }.contains("bounds name 'sigma'") )
        d = tilted
        d.expression = "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0)"
        XCTAssertTrue(message { _ = try d.compile() }.contains("parameter 'gy' does not change the model"))
        let curve = ModelDefinition(name: "stretched", coordinates: ["t"], parameters: ["A", "tau", "beta"],
                                    expression: "A * exp(-(t / tau)^beta)", start: ["A": "first", "tau": "argmax_t + 1"])
        XCTAssertEqual(try curve.compile().parametersWithoutStart, ["beta"])
        var grid = curve
        grid.start["A"] = "centroid_y"
        XCTAssertTrue(message { _ = try grid.compile() }.contains("centroid_y is a statistic of 2D ROIs"))
    }
}
