import FitCore
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// The CPU form of a runtime model: its instruction list, run over SIMD lanes with different
/// parameters in every lane, gives the graph's float64 values and derivatives.
final class InstructionProgramTests: XCTestCase {
    /// Runs `program` on one lane group: lane l gets parameters[l] and coordinates[l].
    func run<Lane: FitLane>(_ program: InstructionProgram, _ type: Lane.Type, parameters: [[Double]], coordinates: [[Double]]) -> [[Double]] {
        let registers = UnsafeMutablePointer<Lane>.allocate(capacity: max(program.registerCount, 1))
        defer { registers.deallocate() }
        for (register, value) in program.constants { registers[register] = Lane(value) }
        let p = parameters[0].count
        for (v, register) in program.variableRegisters.enumerated() where register >= 0 {
            var lanes = Lane(0)
            for lane in 0..<Lane.laneCount { lanes[lane: lane] = v < p ? parameters[lane][v] : coordinates[lane][v - p] }
            registers[register] = lanes
        }
        program.run(registers)
        let outputs = [program.valueRegister] + program.derivativeRegisters
        return (0..<Lane.laneCount).map { lane in outputs.map { registers[$0][lane: lane] } }
    }

    func check(_ model: ModelExpression, random r: inout SeededRandom, ranges: [ClosedRange<Double>], coordinateRange: ClosedRange<Double>) {
        let program = InstructionProgram(model)
        func draw(_ lanes: Int) -> ([[Double]], [[Double]]) {
            ((0..<lanes).map { _ in ranges.map { r.uniform($0) } }, (0..<lanes).map { _ in model.coordinates.map { _ in r.uniform(coordinateRange) } })
        }
        let (p16, c16) = draw(16)
        let single = run(program, SIMD16<Float>.self, parameters: p16, coordinates: c16)
        let (p8, c8) = draw(8)
        let double = run(program, SIMD8<Double>.self, parameters: p8, coordinates: c8)
        let (p1, c1) = draw(1)
        let scalar = run(program, Double.self, parameters: p1, coordinates: c1)
        for (results, parameters, coordinates, tolerance) in [(single, p16, c16, 2e-4), (double, p8, c8, 1e-12), (scalar, p1, c1, 1e-12)] {
            for lane in results.indices {
                let (value, derivatives) = model.evaluate(parameters: parameters[lane], coordinates: coordinates[lane])
                let expected = [value] + derivatives
                let scale = expected.map(abs).max()! + 1
                guard expected.allSatisfy(\.isFinite) else { continue }
                for k in expected.indices {
                    XCTAssertEqual(results[lane][k], expected[k], accuracy: tolerance * scale,
                                   "\(model.text): output \(k) in lane \(lane) of \(results.count)")
                }
            }
        }
    }

    func testTheTiltedGaussianOnEveryLaneType() throws {
        let model = try ModelExpression(expression: "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)",
                                        parameters: ["A", "x0", "y0", "s", "B", "gx", "gy"], coordinates: ["x", "y"])
        var r = SeededRandom(seed: freshSeed(301))
        for _ in 0..<20 {
            check(model, random: &r, ranges: [10...100, 3...6, 3...6, 1...3, -5...5, -1...1, -1...1], coordinateRange: 0...10)
        }
        let program = InstructionProgram(model)
        XCTAssertEqual(program.instructions.filter { $0.operation == .exp }.count, 1, "one exp per point for value and derivatives")
        XCTAssertTrue(program.instructions.contains { $0.operation == .square }, "(x - x0)^2 by a multiplication")
    }

    func testEveryFunctionOnEveryLaneType() throws {
        var r = SeededRandom(seed: freshSeed(302))
        let expressions = [
            "a * exp(-t / b) + c", "a * log(t + b) + c", "a * sqrt(t + b) + c", "a * abs(t - b) + c", "a * sin(b * t) + c",
            "a * cos(b * t) + c", "a * tan(b * t / 4) + c", "a * atan(b * t) + c", "a * erf(b * t - 1) + c",
            "a * erfc(b * t - 1) + c", "a * erfc(b * t + 3) + c", "a * erfcx(b * t - 0.5) + c", "a * pow(t + 1, b) + c",
            "a * (t + 1)^b + c", "min(a * t, b) + c", "max(a * t, b) + c", "a / (1 + (t / b)^2) + c", "(a - t)^3 * b + c",
            "a * exp(-(t / b)^c)",
        ]
        for text in expressions {
            let model = try ModelExpression(expression: text, parameters: ["a", "b", "c"], coordinates: ["t"])
            for _ in 0..<5 { check(model, random: &r, ranges: [0.5...2, 0.5...2, 0.5...2], coordinateRange: 0...3) }
        }
    }

    /// The block form (`run(_:block:)`, an instruction over a row of points) gives every point's
    /// value and derivatives, for every operation.
    func testABlockOfPointsGivesEachPointsValues() throws {
        var r = SeededRandom(seed: freshSeed(304))
        typealias Lane = SIMD8<Double>
        for text in ["a * exp(-t / b) + c", "a * log(t + b) + c", "a * sqrt(t + b) + c * abs(t - b)", "a * sin(b * t) + c * cos(t)",
                     "a * tan(b * t / 4) + atan(c * t)", "a * erf(b * t - 1) + c * erfc(b * t - 1) + erfcx(c * t - 0.5)",
                     "a * pow(t + 1, b) + c^3 + (t - a)^2", "min(a * t, b) + max(c, t) - a / (1 + t)"] {
            let model = try ModelExpression(expression: text, parameters: ["a", "b", "c"], coordinates: ["t"])
            let program = InstructionProgram(model)
            let count = 7
            let registers = UnsafeMutablePointer<Lane>.allocate(capacity: program.registerCount * count)
            defer { registers.deallocate() }
            let parameters = (0..<Lane.laneCount).map { _ in (0..<3).map { _ in r.uniform(0.5...2) } }
            let times = (0..<count).map { _ in (0..<Lane.laneCount).map { _ in r.uniform(0...3) } }
            for (register, value) in program.constants { for k in 0..<count { registers[register * count + k] = Lane(repeating: value) } }
            for j in 0..<3 where program.variableRegisters[j] >= 0 {
                for k in 0..<count { for lane in 0..<Lane.laneCount { registers[program.variableRegisters[j] * count + k][lane] = parameters[lane][j] } }
            }
            for k in 0..<count { for lane in 0..<Lane.laneCount { registers[program.variableRegisters[3] * count + k][lane] = times[k][lane] } }
            program.run(registers, block: count)
            for k in 0..<count {
                for lane in 0..<Lane.laneCount {
                    let (value, derivatives) = model.evaluate(parameters: parameters[lane], coordinates: [times[k][lane]])
                    let expected = [value] + derivatives
                    guard expected.allSatisfy(\.isFinite) else { continue }
                    let got = ([program.valueRegister] + program.derivativeRegisters).map { registers[$0 * count + k][lane] }
                    for q in expected.indices {
                        XCTAssertEqual(got[q], expected[q], accuracy: 1e-12 * (abs(expected[q]) + 1), "\(text): point \(k), lane \(lane), output \(q)")
                    }
                }
            }
        }
    }

    /// Registers are reused: a long sum needs few, however many terms it has.
    func testRegistersAreReused() throws {
        let terms = (1...40).map { "a * exp(-t / \($0).5) + b * sin(\($0) * t)" }
        let model = try ModelExpression(expression: terms.joined(separator: " + "), parameters: ["a", "b"], coordinates: ["t"])
        let program = InstructionProgram(model)
        XCTAssertLessThan(program.registerCount, program.instructions.count / 2,
                          "\(program.registerCount) registers for \(program.instructions.count) instructions")
        var r = SeededRandom(seed: freshSeed(303))
        check(model, random: &r, ranges: [0.5...2, 0.5...2], coordinateRange: 0...3)
    }
}
