import Dispatch
import FitCore
import ModelLanguage

/// A runtime gauss2d's value and derivatives at every pixel of a 15x15 ROI through its staged
/// program (`StagedEvaluator` over SIMD16<Float> lanes: pass, column, row and pixel stages, the
/// exponential separated into a column and a row factor), beside the built-in `Gauss2DModel` per
/// pixel and in its separable form (what the SIMD backend runs). One thread, evaluation only: no
/// accumulation, no LM. Where the runtime model's CPU time goes, beside the fit rows.
enum RuntimeModelBenchmark {
    typealias Lane = SIMD16<Float>

    struct Result {
        let builtInNs: Double, separableNs: Double, stagedNs: Double
    }

    static func measure(passes: Int) throws -> Result {
        let model = try ModelExpression(expression: "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B",
                                        parameters: ["A", "x0", "y0", "s", "B"], coordinates: ["x", "y"])
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
        let evaluator = StagedEvaluator<Lane>(try ModelDefinition(name: "runtime-gauss2d", coordinates: ["x", "y"], parameters: ["A", "x0", "y0", "s", "B"],
                                                                  expression: model.text).compile().program, width: size, height: size)
        let staged = seconds {
            parameters.withUnsafeBufferPointer { p in
                for _ in 0..<passes {
                    evaluator.beginPass(parameters: p.baseAddress!)
                    for row in 0..<size {
                        evaluator.evaluateRow(row)
                        let value = evaluator.value, d3 = evaluator.derivative(3)
                        for k in 0..<size { sink += value[k] + d3[k] }
                    }
                }
            }
        }
        if sink[0] == 42 { print("") }  // keeps the sums alive
        let lanes = Double(Lane.laneCount)
        return Result(builtInNs: builtIn * 1e9 / pixels / lanes, separableNs: separable * 1e9 / pixels / lanes,
                      stagedNs: staged * 1e9 / pixels / lanes)
    }
}
