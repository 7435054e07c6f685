import FitCore
import ModelLanguage

/// One benchmark workload: a batch with its settings, and how many flops one point costs in one
/// LM pass by the fixed formula of benchmarks/README.md, the same for every backend. Shared by
/// `femtofit-bench` (the CI check) and `femtofit bench` (the suite a lab runs on its devices).
public struct Workload: Sendable {
    public var name: String
    /// `cpu` (the SIMD backend) or `opencl` (the OpenCL backend on its automatic device).
    public var backend = "cpu"
    public var fits: SyntheticFits
    public let settings: FitSettings
    public let flopsPerPointPerPass: Double

    /// The same fits on the OpenCL backend, named with an `-opencl` suffix.
    public var onOpenCL: Workload {
        var copy = self
        copy.name += "-opencl"
        copy.backend = "opencl"
        return copy
    }

    /// 71 flops per pixel per pass for GAUSS_2D (Gpufit's count: 29 to evaluate the model and its
    /// derivatives, 42 to accumulate chi^2, gradient and curvature).
    public static func gauss2D(size: Int, estimator: Estimator, count: Int) throws -> Workload {
        Workload(name: "gauss2d-\(estimator)-\(size)x\(size)",
                 fits: try SyntheticFits.gauss2DBenchmark(size: size, count: count, seed: 20_261_125),
                 settings: FitSettings(tolerance: 1e-4, maxIterations: 20, estimator: estimator),
                 flopsPerPointPerPass: 71)
    }

    /// The gauss2d workload's fits with the model defined at run time (`runtimeGauss2D`): the
    /// runtime models' cost beside the built-in's on the same data, flops counted as gauss2d's.
    public static func runtimeGauss2D(size: Int, estimator: Estimator, count: Int) throws -> Workload {
        var workload = try gauss2D(size: size, estimator: estimator, count: count)
        workload.name = "runtime-" + workload.name
        workload.fits.batch.model = try runtimeGauss2D.register().modelID
        return workload
    }

    /// gauss2d as a runtime model, with the built-in's parameter names.
    public static var runtimeGauss2D: CompiledModel {
        get throws {
            try ModelDefinition(name: "runtime-gauss2d", coordinates: ["x", "y"], parameters: ["amplitude", "x0", "y0", "sigma", "offset"],
                                expression: "amplitude * exp(-((x - x0)^2 + (y - y0)^2) / (2 * sigma^2)) + offset").compile()
        }
    }

    /// A runtime model's workload (`femtofit bench --model-file`): `count` fits simulated at
    /// `truth`, Gaussian noise of 2 % of the model's range, start values 5-10 % off. Flops per
    /// point per pass are estimated from its program: one per instruction of the point stage
    /// (15 for an exp, log, erf ...) and 2 + 2P + P(P + 1) to accumulate, as the fixed formulas
    /// of the built-in rows count.
    public static func runtime(_ model: RuntimeModel, truth: [Double], coordinates: FitCoordinates, pointCount: Int,
                               count: Int, estimator: Estimator = .leastSquares) throws -> Workload {
        let values = try ModelEvaluation.evaluate(model.modelID, parameters: truth, coordinates: coordinates, pointCount: pointCount).values
        let range = (values.max() ?? 0) - (values.min() ?? 0)
        guard values.allSatisfy(\.isFinite), range > 0 else {
            throw FitError.invalidBatch("model \(model.descriptor.name) is \(values.allSatisfy(\.isFinite) ? "flat" : "not finite") at the given truth: choose parameter values where it has a shape")
        }
        let noise: NoiseModel = estimator == .poissonMLE ? .poisson : .gaussian(sigma: 0.02 * range)
        let fits = try SyntheticFits.make(model: model.modelID, count: count, coordinates: coordinates, pointCount: pointCount,
                                          noise: noise, seed: 20_261_206, startError: 0.05...0.1) { _ in truth }
        let expensive: Set<LaneInstruction.Operation> = [.exp, .log, .sqrt, .sin, .cos, .tan, .atan, .erf, .erfc, .erfcx, .power, .divide]
        let pointFlops = model.program.point.reduce(0.0) { $0 + (expensive.contains($1.operation) ? 15 : 1) }
        let p = Double(model.parameterCount)
        let shape: String
        if case let .grid(w, h) = coordinates { shape = "\(w)x\(h)" } else { shape = "\(pointCount)" }
        return Workload(name: "\(model.descriptor.name)-\(estimator)-\(shape)", fits: fits,
                        settings: FitSettings(tolerance: 1e-4, maxIterations: 20, estimator: estimator),
                        flopsPerPointPerPass: pointFlops + 2 + 2 * p + p * (p + 1))
    }

    /// Gpufit's SPLINE_3D on 13 x 13 ROIs of an astigmatic PSF template (`SyntheticSplines`, 20 x
    /// 20 x 10 intervals), the 3D localisation fit. Flops per point per pass, counted on the
    /// Horner form every backend evaluates: 16 cubics with their slopes along z (12 each), 4
    /// along y (12) with 4 slope cubics (6), 1 along x (12) with 2 slope cubics (6), and 6 to
    /// scale: 294; accumulating P = 5: 2 + 2P + P(P + 1) = 42. 336 in all.
    public static func spline3D(estimator: Estimator, count: Int) throws -> Workload {
        let spline = try SyntheticSplines.psf(dimensions: 3, sigma: 1.8)
        let noise: NoiseModel = estimator == .poissonMLE ? .poisson : .gaussian(sigma: 8)
        let fits = try SyntheticFits.make(model: .spline3D, count: count, coordinates: .grid(width: 13, height: 13), pointCount: 169,
                                          noise: noise, seed: 20_261_206, startError: 0.05...0.15, spline: spline) { r in
            [r.uniform(300...1000), r.uniform(-5...(-3)), r.uniform(-5...(-3)), r.uniform(-7...(-3)), r.uniform(10...60)]
        }
        return Workload(name: "spline3d-\(estimator)-13x13", fits: fits,
                        settings: FitSettings(tolerance: 1e-4, maxIterations: 20, estimator: estimator), flopsPerPointPerPass: 336)
    }

    /// Kinetics, 2 exponentials with IRF, 200 log-spaced delays. Flops per point per pass:
    /// 10 + 60 n to evaluate (exp counted as 15, erfcx as 25) and 2 + 2P + P(P + 1) to accumulate,
    /// n = 2, P = 7: 130 + 72 = 202.
    public static func kinetics(count: Int) throws -> Workload {
        var delays: [Double] = stride(from: -500.0, to: 500, by: 25).map { $0 }
        var t = 500.0
        while delays.count < 200 { delays.append(t); t *= 1.035 }
        let fits = try SyntheticFits.make(model: .kinetics2, count: count, coordinates: .sharedX(delays), pointCount: 200,
                                          noise: .gaussian(sigma: 5), seed: 20_261_126, startError: 0.1...0.2) { r in
            [r.uniform(300...600), r.uniform(200...400), r.uniform(100...300), r.uniform(5000...20000),
             r.uniform(-20...20), r.uniform(40...60), r.uniform(10...30)]
        }
        return Workload(name: "kinetics2-lse-200", fits: fits, settings: FitSettings(tolerance: 1e-4, maxIterations: 20),
                        flopsPerPointPerPass: 202)
    }
}
