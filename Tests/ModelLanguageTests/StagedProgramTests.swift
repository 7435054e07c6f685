import FitCore
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// The CPU form of a runtime model (`StagedProgram` run by `StagedEvaluator`): with different
/// parameters in every lane, at every point of a grid ROI or a curve, it gives the float64
/// graph's values and derivatives, on every lane type; and it does the work as rarely as the
/// expression allows.
final class StagedProgramTests: XCTestCase {
    /// Every point's value and derivatives (lane-major: [lane][point][output]) from the staged
    /// program: a width x height grid, or a curve at `xs` (per lane).
    func staged<Lane: FitLane>(_ program: StagedProgram, _ type: Lane.Type, parameters: [[Double]],
                               grid: (width: Int, height: Int)?, xs: [[Double]] = []) -> [[[Double]]] {
        let p = program.parameterCount
        let width = grid?.width ?? 5, height = grid?.height ?? 1
        let n = grid.map { $0.width * $0.height } ?? xs[0].count
        let evaluator = StagedEvaluator<Lane>(program, width: width, height: height)
        var lanes = [Lane](repeating: Lane(0), count: p)
        for j in 0..<p { for lane in 0..<Lane.laneCount { lanes[j][lane: lane] = parameters[lane][j] } }
        lanes.withUnsafeBufferPointer { evaluator.beginPass(parameters: $0.baseAddress!) }
        var out = [[[Double]]](repeating: [[Double]](repeating: [], count: n), count: Lane.laneCount)
        var first = 0
        while first < n {
            let count = min(width, n - first)
            if grid != nil { evaluator.evaluateRow(first / width) } else {
                var x = [Lane](repeating: Lane(0), count: count)
                for c in 0..<count { for lane in 0..<Lane.laneCount { x[c][lane: lane] = xs[lane][first + c] } }
                evaluator.evaluateBlock(x: x, count: count)
            }
            for c in 0..<count {
                for lane in 0..<Lane.laneCount {
                    out[lane][first + c] = [evaluator.value[c][lane: lane]] + (0..<p).map { evaluator.derivative($0)[c][lane: lane] }
                }
            }
            first += count
        }
        return out
    }

    func check(_ model: ModelExpression, random r: inout SeededRandom, ranges: [ClosedRange<Double>],
               grid: (width: Int, height: Int)? = nil, coordinateRange: ClosedRange<Double> = 0...3, points: Int = 11) {
        let program = StagedCompiler.compile(model)
        func draw(_ lanes: Int) -> ([[Double]], [[Double]]) {
            ((0..<lanes).map { _ in ranges.map { r.uniform($0) } }, (0..<lanes).map { _ in (0..<points).map { _ in r.uniform(coordinateRange) } })
        }
        let (p16, x16) = draw(16), (p8, x8) = draw(8), (p1, x1) = draw(1)
        let runs: [([[[Double]]], [[Double]], [[Double]], Double)] = [
            (staged(program, SIMD16<Float>.self, parameters: p16, grid: grid, xs: x16), p16, x16, 2e-4),
            (staged(program, SIMD8<Double>.self, parameters: p8, grid: grid, xs: x8), p8, x8, 1e-12),
            (staged(program, Double.self, parameters: p1, grid: grid, xs: x1), p1, x1, 1e-12),
        ]
        for (results, parameters, xs, tolerance) in runs {
            for lane in results.indices {
                for k in results[lane].indices {
                    let coordinates = grid.map { [Double(k % $0.width), Double(k / $0.width)] } ?? [xs[lane][k]]
                    let (value, derivatives) = model.evaluate(parameters: parameters[lane], coordinates: coordinates)
                    let expected = [value] + derivatives
                    guard expected.allSatisfy(\.isFinite) else { continue }
                    let scale = expected.map(abs).max()! + 1
                    for q in expected.indices {
                        XCTAssertEqual(results[lane][k][q], expected[q], accuracy: tolerance * scale,
                                       "\(model.text): output \(q) at point \(k) in lane \(lane) of \(results.count)")
                    }
                }
            }
        }
    }

    func testTheTiltedGaussianOnEveryLaneType() throws {
        let model = try ModelExpression(expression: "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)",
                                        parameters: ["A", "x0", "y0", "s", "B", "gx", "gy"], coordinates: ["x", "y"])
        var r = SeededRandom(seed: freshSeed(301))
        for _ in 0..<10 {
            check(model, random: &r, ranges: [10...100, 3...6, 3...6, 1...3, -5...5, -1...1, -1...1], grid: (9, 7))
        }
        // Separable: the exponential once per column and once per row, none per pixel.
        let program = StagedCompiler.compile(model)
        XCTAssertEqual(program.point.filter { $0.operation == .exp }.count, 0, "no exp per pixel")
        XCTAssertEqual(program.column.filter { $0.operation == .exp }.count, 1, "one exp per column")
        XCTAssertEqual(program.row.filter { $0.operation == .exp }.count, 1, "one exp per row")
        XCTAssertTrue(program.column.contains { $0.operation == .square }, "(x - x0)^2 by a multiplication")
    }

    /// A grid expression that does not separate (a rotated Gaussian's cross term) is computed per
    /// pixel, and still right; parts in x alone still go to the column stage.
    func testInseparableGridModels() throws {
        var r = SeededRandom(seed: freshSeed(305))
        let rotated = try ModelExpression(expression: "A * exp(-((x - x0)^2 + (y - y0)^2 + c * (x - x0) * (y - y0)) / (2 * s^2)) + B",
                                          parameters: ["A", "x0", "y0", "s", "B", "c"], coordinates: ["x", "y"])
        for _ in 0..<5 { check(rotated, random: &r, ranges: [10...100, 3...6, 3...6, 1...3, -5...5, -0.5...0.5], grid: (8, 6)) }
        let program = StagedCompiler.compile(rotated)
        XCTAssertEqual(program.point.filter { $0.operation == .exp }.count, 1, "the exponential per pixel")
        let cauchy = try ModelExpression(expression: "A / ((1 + ((x - x0) / gx)^2) * (1 + ((y - y0) / gy)^2)) + B",
                                         parameters: ["A", "x0", "y0", "gx", "gy", "B"], coordinates: ["x", "y"])
        for _ in 0..<5 { check(cauchy, random: &r, ranges: [10...100, 3...6, 3...6, 1...3, 1...3, -5...5], grid: (6, 8)) }
        XCTAssertFalse(StagedCompiler.compile(cauchy).column.isEmpty, "the x factor per column")
        XCTAssertFalse(StagedCompiler.compile(cauchy).row.isEmpty, "the y factor per row")
    }

    func testEveryFunctionOnEveryLaneType() throws {
        var r = SeededRandom(seed: freshSeed(302))
        let expressions = [
            "a * exp(-t / b) + c", "a * log(t + b) + c", "a * sqrt(t + b) + c", "a * abs(t - b) + c", "a * sin(b * t) + c",
            "a * cos(b * t) + c", "a * tan(b * t / 4) + c", "a * atan(b * t) + c", "a * erf(b * t - 1) + c",
            "a * erfc(b * t - 1) + c", "a * erfc(b * t + 3) + c", "a * erfcx(b * t - 0.5) + c", "a * pow(t + 1, b) + c",
            "a * (t + 1)^b + c", "min(a * t, b) + c", "max(a * t, b) + c", "a / (1 + (t / b)^2) + c", "(a - t)^3 * b + c",
            "a * exp(-(t / b)^c)", "a + b * c",
        ]
        for text in expressions {
            let model = try ModelExpression(expression: text, parameters: ["a", "b", "c"], coordinates: ["t"])
            for _ in 0..<3 { check(model, random: &r, ranges: [0.5...2, 0.5...2, 0.5...2], points: 70) }
        }
        // And on a grid, where terms land in the pass, column, row and pixel stages.
        for text in ["a * sin(b * x) * cos(c * y) + a", "a * erf(x - b) * erfc(y - c) + pow(b, c)", "min(a * x, b * y) + max(c, x)",
                     "a * exp(-x / b - y / c) + abs(x - y)", "a * log(1 + x) + b * sqrt(1 + y) + c"] {
            let model = try ModelExpression(expression: text, parameters: ["a", "b", "c"], coordinates: ["x", "y"])
            for _ in 0..<3 { check(model, random: &r, ranges: [0.5...2, 0.5...2, 0.5...2], grid: (5, 4)) }
        }
    }

    /// Registers are reused: a long sum needs few, however many terms it has.
    func testRegistersAreReused() throws {
        let terms = (1...40).map { "a * exp(-t / \($0).5) + b * sin(\($0) * t)" }
        let model = try ModelExpression(expression: terms.joined(separator: " + "), parameters: ["a", "b"], coordinates: ["t"])
        let program = StagedCompiler.compile(model)
        XCTAssertLessThan(program.blockRegisterCount, program.point.count / 2,
                          "\(program.blockRegisterCount) registers for \(program.point.count) instructions")
        var r = SeededRandom(seed: freshSeed(303))
        check(model, random: &r, ranges: [0.5...2, 0.5...2])
    }
}
