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

import FitEngine
import FitOpenCL

/// Issue 20's other figures: how long a model takes to compile (its CPU form, everything the
/// CPU backend needs), how long OpenCL takes to build it (first, and from the cache), and the
/// Gpufit comparison: the tilted-background Gaussian, which Gpufit cannot fit without being
/// rebuilt, fitted at run time, its fits/s and its precision against the Cramér–Rao bound.
enum RuntimeModelFigures {
    static let tiltedText = """
        name = "gauss2d-tilted"
        coordinates = ["x", "y"]
        parameters = ["A", "x0", "y0", "s", "B", "gx", "gy"]
        expression = "A * exp(-((x - x0)^2 + (y - y0)^2) / (2 * s^2)) + B + gx * (x - x0) + gy * (y - y0)"
        [start]
        A = "amplitude"
        x0 = "centroid_x"
        y0 = "centroid_y"
        s = "rms_width"
        B = "baseline"
        gx = "0"
        gy = "0"
        [bounds]
        s = [0, "inf"]
        """

    /// Milliseconds to read, differentiate, check and stage the tilted Gaussian (best of `runs`).
    static func compileMilliseconds(runs: Int = 20) throws -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try ModelText.parse(tiltedText).compile()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return best
    }

    /// The OpenCL program build of a model never built before (a fresh name, so neither the
    /// in-process nor the disk cache has it): the first fit of a few ROIs minus the second,
    /// which finds the program cached. Seconds (first build, cached call), nil without OpenCL.
    static func openCLBuild() throws -> (first: Double, cached: Double)? {
        guard let opencl = try? OpenCLBackend(device: nil, precision: .single) else { return nil }
        var definition = try ModelText.parse(tiltedText)
        definition.name = "gauss2d-tilted-\(UInt32.random(in: 0...UInt32.max))"
        let model = try definition.compile().register()
        defer { RuntimeModels.release(model.id) }
        let fits = try SyntheticFits.make(model: model.modelID, count: 64, coordinates: .grid(width: 15, height: 15), pointCount: 225,
                                          noise: .poisson, seed: 20_261_206) { _ in [500, 7.3, 6.8, 2, 20, 1, -0.5] }
        let engine = FitEngine(backend: opencl)
        func seconds() throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try engine.fit(fits.batch, settings: FitSettings())
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let first = try seconds(), cached = try seconds()
        return (first, cached)
    }

    struct Tilted {
        let fitsPerSecond: Double
        /// Each parameter's standard deviation over the fits divided by the bound's sqrt.
        let precisionOverBound: [Double]
        let converged: Double
    }

    /// The tilted Gaussian on 15x15 Poisson ROIs at one truth, Poisson MLE from its own starts,
    /// on the CPU backend: fits/s, and the spread of each parameter against the Cramér–Rao bound.
    static func tilted(count: Int, threads: Int) throws -> Tilted {
        let model = try ModelText.parse(tiltedText).compile().register()
        defer { RuntimeModels.release(model.id) }
        let truth = [500, 7.3, 6.8, 2, 20, 1, -0.5]
        var fits = try SyntheticFits.make(model: model.modelID, count: count, coordinates: .grid(width: 15, height: 15), pointCount: 225,
                                          noise: .poisson, seed: 20_261_207) { _ in truth }
        fits.batch.initialParameters = nil
        let engine = FitEngine(backend: CPUBackend(precision: .single, threadCount: threads))
        let settings = FitSettings(estimator: .poissonMLE)
        var best = Double.infinity
        var results: FitResults?
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            results = try engine.fit(fits.batch, settings: settings)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let r = results!
        let bound = try CramerRaoBound.variances(model: model.modelID, parameters: truth, coordinates: .grid(width: 15, height: 15),
                                                 pointCount: 225, noise: .poisson)
        let good = (0..<count).filter { r.state($0) == .converged }
        let ratios = (0..<7).map { j -> Double in
            let values = good.map { r.parameters[$0 * 7 + j] }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
            return (variance / bound[j]).squareRoot()
        }
        return Tilted(fitsPerSecond: Double(count) / best, precisionOverBound: ratios, converged: Double(good.count) / Double(count))
    }
}
