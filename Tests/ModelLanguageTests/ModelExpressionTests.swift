import FitCore
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// The expression language (issue 20's first part): values as the written formula gives them,
/// symbolic derivatives against finite differences on fresh random expressions, shared
/// subexpressions, and every kind of bad input refused with where and what.
final class ModelExpressionTests: XCTestCase {
    func model(_ expression: String, _ parameters: [String], _ coordinates: [String] = ["x", "y"]) throws -> ModelExpression {
        try ModelExpression(expression: expression, parameters: parameters, coordinates: coordinates)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    func testTheTiltedGaussianIsTheFormulaAndItsDerivatives() throws {
        let m = try model("A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)",
                          ["A", "x0", "y0", "s", "B", "gx", "gy"])
        var r = SeededRandom(seed: freshSeed(201))
        for _ in 0..<50 {
            let p = [r.uniform(10...100), r.uniform(3...6), r.uniform(3...6), r.uniform(1...3), r.uniform(-5...5), r.uniform(-1...1), r.uniform(-1...1)]
            let x = r.uniform(0...10), y = r.uniform(0...10)
            let (value, d) = m.evaluate(parameters: p, coordinates: [x, y])
            let dx = x - p[1], dy = y - p[2], e = exp(-(dx * dx + dy * dy) / (2 * p[3] * p[3]))
            XCTAssertEqual(value, p[0] * e + p[4] + p[5] * dx + p[6] * dy, accuracy: 1e-12 * max(1, abs(value)))
            let expected = [e, p[0] * e * dx / (p[3] * p[3]) - p[5], p[0] * e * dy / (p[3] * p[3]) - p[6],
                            p[0] * e * (dx * dx + dy * dy) / (p[3] * p[3] * p[3]), 1, dx, dy]
            for j in 0..<7 { XCTAssertEqual(d[j], expected[j], accuracy: 1e-10 * max(1, abs(expected[j])), "d/d\(m.parameters[j])") }
        }
        // The exponential, separated into an x and a y factor (`Separation`), is two nodes shared
        // by the value and the derivatives.
        let needed = m.graph.reachable(from: [m.value] + m.derivatives)
        let exponentials = m.graph.nodes.indices.filter { n in
            if needed[n], case .unary(.exp, _) = m.graph.nodes[n] { return true }
            return false
        }
        XCTAssertEqual(exponentials.count, 2, "one exp in x and one in y for the value and all seven derivatives")
        XCTAssertLessThan(try DerivativeCheck.run(m).worstDiscrepancy, DerivativeCheck.tolerance)
    }

    func testPrecedenceAndAssociativity() throws {
        func value(_ text: String, _ x: Double) throws -> Double {
            try model(text + " + a", ["a"], ["t"]).evaluate(parameters: [0], coordinates: [x]).value
        }
        XCTAssertEqual(try value("-t^2", 3), -9)
        XCTAssertEqual(try value("2^t^2", 2), 16, "right-associative: 2^(t^2)")
        XCTAssertEqual(try value("2^-t", 1), 0.5)
        XCTAssertEqual(try value("t - 1 - 1", 5), 3)
        XCTAssertEqual(try value("t / 2 / 2", 8), 2)
        XCTAssertEqual(try value("1 + 2 * t ^ 2", 2), 9)
        XCTAssertEqual(try value("min(t, 2) + max(t, 2) + pow(t, 2)", 3), 2 + 3 + 9)
        XCTAssertEqual(try value("1.5e1 + .5 + 2E-1", 0), 15.7, accuracy: 1e-12)
        XCTAssertEqual(try value("cos(pi)", 0), -1, accuracy: 1e-15)
        // erfcx where exp(x^2) erfc(x) overflows times underflows: its asymptotic series.
        let asymptotic = 1 / (30 * Double.pi.squareRoot()) * (1 - 1 / (2 * 900.0) + 3 / (4 * 810_000.0))
        XCTAssertEqual(try value("erfcx(t)", 30), asymptotic, accuracy: 1e-8 * asymptotic)
        XCTAssertEqual(try value("erfcx(t)", 0.5), exp(0.25) * erfc(0.5), accuracy: 1e-15)
    }

    /// Fresh random expressions over every function and operator: the symbolic derivatives
    /// agree with central differences wherever the expression is finite.
    func testRandomExpressionsDifferentiateCorrectly() throws {
        var r = SeededRandom(seed: freshSeed(202))
        let names = ["a", "b", "c"]
        func leaf() -> String {
            switch Int(r.uniform(0...2.999)) {
            case 0: return names[Int(r.uniform(0...2.999))]
            case 1: return "t"
            default: return String(format: "%.3f", r.uniform(0.2...3))
            }
        }
        func expression(_ depth: Int) -> String {
            if depth == 0 || r.uniform() < 0.2 { return leaf() }
            let unary = ["exp", "log", "sqrt", "abs", "sin", "cos", "tan", "atan", "erf", "erfc", "erfcx"]
            switch Int(r.uniform(0...8.999)) {
            case 0: return "(\(expression(depth - 1)) + \(expression(depth - 1)))"
            case 1: return "(\(expression(depth - 1)) - \(expression(depth - 1)))"
            case 2: return "(\(expression(depth - 1)) * \(expression(depth - 1)))"
            case 3: return "(\(expression(depth - 1)) / \(expression(depth - 1)))"
            case 4: return "(\(expression(depth - 1)))^\(Int(r.uniform(2...3.999)))"
            case 5: return "pow(abs(\(expression(depth - 1))) + 0.5, \(expression(depth - 1)))"
            case 6: return ["min", "max"][Int(r.uniform(0...1.999))] + "(\(expression(depth - 1)), \(expression(depth - 1)))"
            case 7: return "-\(expression(depth - 1))"
            default: return unary[Int(r.uniform(0...10.999))] + "(\(expression(depth - 1)))"
            }
        }
        var checked = 0, cancelled = 0
        for _ in 0..<300 {
            let text = "a * b * c * 0 + " + expression(4) + " + a + b + c"
            let m: ModelExpression
            do { m = try model(text, names, ["t"]) } catch let error as ExpressionError where error.message.contains("does not change the model") {
                // A parameter that cancels out (b - b, or -(-b) then + b ...): refused, rightly so
                // if the value indeed does not move with it.
                let name = names.first { error.message.contains("'\($0)'") }!
                // The same text with a negligible use of the parameter, so the model compiles.
                let probe = try model(text + " + 1e-300 * (a + b + c)", names, ["t"])
                let j = names.firstIndex(of: name)!
                let p = [1.1, 0.7, 1.3]
                var q = p
                q[j] += 0.37
                let t = 1.7
                let (f, g) = (probe.evaluate(parameters: p, coordinates: [t]).value, probe.evaluate(parameters: q, coordinates: [t]).value)
                if f.isFinite || g.isFinite {
                    XCTAssertEqual(f, g, accuracy: 1e-9 * max(1, abs(f)), "\(text): \(name) refused as unused, but it moves the value")
                }
                cancelled += 1
                continue
            } catch { XCTFail("\(text): \(error)"); continue }
            for _ in 0..<5 {
                let p = names.map { _ in r.uniform(0.3...2) }, t = r.uniform(0...3)
                let (value, d) = m.evaluate(parameters: p, coordinates: [t])
                // Steep places make difference quotients poor; a wrong formula is off by far more.
                guard value.isFinite, abs(value) < 1e4, d.allSatisfy({ $0.isFinite && abs($0) < 1e4 }) else { continue }
                for j in 0..<3 {
                    let h = 1e-6
                    var up = p, down = p
                    up[j] += h; down[j] -= h
                    let fu = m.evaluate(parameters: up, coordinates: [t]).value, fd = m.evaluate(parameters: down, coordinates: [t]).value
                    guard fu.isFinite, fd.isFinite else { continue }
                    let numeric = (fu - fd) / (2 * h)
                    // Kinks (abs, min, max) and near-poles make a difference quotient wrong; skip
                    // points where the one-sided quotients disagree.
                    let right = (fu - value) / h, left = (value - fd) / h
                    guard abs(right - left) <= 1e-3 * (abs(numeric) + 1) else { continue }
                    XCTAssertEqual(d[j], numeric, accuracy: 1e-4 * (abs(numeric) + abs(value) + 1), "\(text) d/d\(names[j]) at \(p), t = \(t)")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 1500, "most random points should be checkable")
        XCTAssertLessThan(cancelled, 100, "few random expressions should cancel a parameter")
    }

    func testBadInputSaysWhereAndWhat() throws {
        let spot = ["A", "x0", "s"]
        let syntax = message { _ = try self.model("A * exp(-(x - x0)^2 / (2 * s^2) + ", spot, ["x"]) }
        // The fault is the end, after the trailing space: column 35, the caret under it.
        XCTAssertTrue(syntax.contains("column 35") && syntax.contains("ends where a number"), syntax)
        XCTAssertTrue(syntax.hasSuffix("\n    " + String(repeating: " ", count: 34) + "^"), syntax)
        let unknown = message { _ = try self.model("A * exp(-(x - xo)^2 / s) + 0 * x0", spot, ["x"]) }
        XCTAssertTrue(unknown.contains("unknown name 'xo'") && unknown.contains("did you mean 'x0'?") && unknown.contains("column 15"), unknown)
        let function = message { _ = try self.model("A * expp(x - x0) * s", spot, ["x"]) }
        XCTAssertTrue(function.contains("unknown function 'expp'") && function.contains("did you mean 'exp'?"), function)
        let arity = message { _ = try self.model("A * pow(x - x0) * s", spot, ["x"]) }
        XCTAssertTrue(arity.contains("pow takes 2 arguments, not 1"), arity)
        let unused = message { _ = try self.model("A * exp(-(x - x0)^2)", spot, ["x"]) }
        XCTAssertTrue(unused.contains("parameter 's' does not change the model"), unused)
        let cancelled = message { _ = try self.model("A * x + s - s + x0", spot, ["x"]) }
        XCTAssertTrue(cancelled.contains("parameter 's' does not change the model"), "s - s cancels: \(cancelled)")
        let coordinate = message { _ = try self.model("A * x + x0 + s * z", spot, ["x", "z"]) }
        XCTAssertTrue(coordinate.contains("coordinates [\"x\", \"z\"] are none of"), coordinate)
        let wrongCoordinate = message { _ = try self.model("A * t + x0 + s", spot, ["x", "y"]) }
        XCTAssertTrue(wrongCoordinate.contains("unknown name 't'"), wrongCoordinate)
        let character = message { _ = try self.model("A * x0 # s", spot, ["x"]) }
        XCTAssertTrue(character.contains("'#' is not part of the model language") && character.contains("column 8"), character)
        let deep = String(repeating: "(", count: 70) + "A" + String(repeating: ")", count: 70) + " * x0 * s"
        XCTAssertTrue(message { _ = try self.model(deep, spot, ["x"]) }.contains("nests more than 64 levels"))
        let long = "A * x0 * s" + String(repeating: " + x", count: 1200)
        XCTAssertTrue(message { _ = try self.model(long, spot, ["x"]) }.contains("limit is 4096"))
        XCTAssertTrue(message { _ = try self.model("A * x0 * s", ["A", "x0", "x0"], ["x"]) }.contains("'x0' is named twice"))
        XCTAssertTrue(message { _ = try self.model("A * x0", ["A", "x0", "exp"], ["x"]) }.contains("taken by a coordinate, a function or pi"))
        let many = (0..<33).map { "p\($0)" }
        XCTAssertTrue(message { _ = try self.model(many.joined(separator: " + "), many, ["x"]) }.contains("1 to 32 parameters"))
        XCTAssertTrue(message { _ = try self.model("", spot, ["x"]) }.contains("empty"))
        XCTAssertTrue(message { _ = try self.model("A * (x0 + s", spot, ["x"]) }.contains("expected ')'"))
    }

    func testConstantsFoldAndIdentitiesVanish() throws {
        let m = try model("a * (2 * 3 - 5) + 0 * b + b * 1 + (t - 0) * 1", ["a", "b"], ["t"])
        // a + b + t: three variables, two additions (constants folded away, 0 * b gone).
        XCTAssertEqual(m.graph.reachable(from: [m.value]).filter { $0 }.count, 5, "a, b, t and two additions: \(m.graph.nodes)")
        XCTAssertEqual(m.graph.constantValue(m.derivatives[0]), 1)
        XCTAssertEqual(m.graph.constantValue(m.derivatives[1]), 1)
    }
}
