import Dispatch
import FitCore
import ModelLanguage

/// A design input for issue 20's CPU backend, measured before it is built: a runtime gauss2d's
/// value and derivatives at every pixel of a 15x15 ROI through its instruction program
/// (`InstructionProgram`, interpreted over SIMD16<Float> lanes), beside the built-in
/// `Gauss2DModel` per pixel and in its separable form (exponentials once per column and row, what
/// the SIMD backend runs). One thread, evaluation only: no accumulation, no LM.
enum RuntimeModelBenchmark {
    typealias Lane = SIMD16<Float>

    struct Result {
        let builtInNs: Double, separableNs: Double, programNs: Double, blockNs: Double
    }

    static func measure(passes: Int) throws -> Result {
        let model = try ModelExpression(expression: "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B",
                                        parameters: ["A", "x0", "y0", "s", "B"], coordinates: ["x", "y"])
        let program = InstructionProgram(model)
        let parameters: [Lane] = [Lane(repeating: 500), Lane(repeating: 7.2), Lane(repeating: 6.9), Lane(repeating: 2.1), Lane(repeating: 20)]
        let size = 15
        var sink = Lane(0)
        func seconds(_ body: () -> Void) -> Double {
            var best = Double.infinity
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return best
        }
        let pixels = Double(passes * size * size)
        let builtIn = seconds {
            parameters.withUnsafeBufferPointer { p in
                var d = ParameterLanes<Lane>(repeating: Lane(0))
                for _ in 0..<passes {
                    let gaussian = Gauss2DModel<Lane>(parameters: p.baseAddress!)
                    for row in 0..<size { for column in 0..<size {
                        sink += gaussian.evaluate(x: Lane(Double(column)), y: Lane(Double(row)), derivatives: &d) + d[3]
                    } }
                }
            }
        }
        let separable = seconds {
            parameters.withUnsafeBufferPointer { p in
                var d = ParameterLanes<Lane>(repeating: Lane(0))
                for _ in 0..<passes {
                    let gaussian = Gauss2DModel<Lane>(parameters: p.baseAddress!)
                    let columns = (0..<size).map { gaussian.columnTerms(x: Lane(Double($0))) }
                    for row in 0..<size {
                        let rowTerms = gaussian.rowTerms(y: Lane(Double(row)))
                        for column in 0..<size { sink += gaussian.evaluate(column: columns[column], row: rowTerms, derivatives: &d) + d[3] }
                    }
                }
            }
        }
        let registers = UnsafeMutablePointer<Lane>.allocate(capacity: program.registerCount)
        defer { registers.deallocate() }
        let xRegister = program.variableRegisters[5], yRegister = program.variableRegisters[6]
        let interpreted = seconds {
            for _ in 0..<passes {
                for (register, value) in program.constants { registers[register] = Lane(value) }
                for j in 0..<5 where program.variableRegisters[j] >= 0 { registers[program.variableRegisters[j]] = parameters[j] }
                for row in 0..<size { for column in 0..<size {
                    registers[xRegister] = Lane(Double(column))
                    registers[yRegister] = Lane(Double(row))
                    program.run(registers)
                    sink += registers[program.valueRegister] + registers[program.derivativeRegisters[3]]
                } }
            }
        }
        // The same program on a row of pixels at a time (`run(_:block:)`).
        let blockRegisters = UnsafeMutablePointer<Lane>.allocate(capacity: program.registerCount * size)
        defer { blockRegisters.deallocate() }
        let blocked = seconds {
            for _ in 0..<passes {
                for (register, value) in program.constants { for k in 0..<size { blockRegisters[register * size + k] = Lane(value) } }
                for j in 0..<5 where program.variableRegisters[j] >= 0 {
                    for k in 0..<size { blockRegisters[program.variableRegisters[j] * size + k] = parameters[j] }
                }
                for k in 0..<size { blockRegisters[xRegister * size + k] = Lane(Double(k)) }
                for row in 0..<size {
                    for k in 0..<size { blockRegisters[yRegister * size + k] = Lane(Double(row)) }
                    program.run(blockRegisters, block: size)
                    for k in 0..<size { sink += blockRegisters[program.valueRegister * size + k] + blockRegisters[program.derivativeRegisters[3] * size + k] }
                }
            }
        }
        if sink[0] == 42 { print("") }  // keeps the sums alive
        let lanes = Double(Lane.laneCount)
        return Result(builtInNs: builtIn * 1e9 / pixels / lanes, separableNs: separable * 1e9 / pixels / lanes,
                      programNs: interpreted * 1e9 / pixels / lanes, blockNs: blocked * 1e9 / pixels / lanes)
    }
}
