import FitCore
import XCTest
import FemtofitTestSupport

/// Each model's analytic derivatives against central finite differences in float64, and each
/// model's value against its formula written out directly, at random parameters.
final class ModelDerivativeTests: XCTestCase {
    func randomParameters(_ model: ModelID, _ r: inout SeededRandom) -> [Double] {
        switch model {
        case .gauss2D, .gauss2DPixelated: return [r.uniform(100...900), r.uniform(3...6), r.uniform(3...6), r.uniform(0.8...3), r.uniform(-5...50)]
        case .gauss2DElliptic, .cauchy2DElliptic: return [r.uniform(100...900), r.uniform(3...6), r.uniform(3...6), r.uniform(0.8...3), r.uniform(0.8...3), r.uniform(0...50)]
        case .gauss2DRotated: return [r.uniform(100...900), r.uniform(3...6), r.uniform(3...6), r.uniform(0.8...3), r.uniform(1.5...4), r.uniform(0...50), r.uniform(-1.5...1.5)]
        case .gauss1D: return [r.uniform(100...900), r.uniform(3...6), r.uniform(0.8...3), r.uniform(0...50)]
        case .linear1D: return [r.uniform(-50...50), r.uniform(-3...3)]
        case .fletcherPowellHelix: return [r.uniform(0.5...2), r.uniform(-1...1), r.uniform(-2...2)]
        case .brownDennis: return [r.uniform(-13...(-10)), r.uniform(12...14), r.uniform(-1...0), r.uniform(0...1)]
        case .spline1D: return [r.uniform(100...900), r.uniform(-6...(-3)), r.uniform(0...50)]
        case .spline2D: return [r.uniform(100...900), r.uniform(-5...(-3)), r.uniform(-5...(-3)), r.uniform(0...50)]
        case .spline3D: return [r.uniform(100...900), r.uniform(-5...(-3)), r.uniform(-5...(-3)), r.uniform(-7...(-3)), r.uniform(0...50)]
        case .kinetics1, .kinetics2, .kinetics3, .kinetics4,
             .kinetics1Artifact, .kinetics2Artifact, .kinetics3Artifact, .kinetics4Artifact:
            var p: [Double] = []
            for _ in 0..<model.exponentialCount { p += [r.uniform(-500...500), r.uniform(20...5000)] }
            p += [r.uniform(-100...100), r.uniform(10...80), r.uniform(-20...20)]
            if model.hasCoherentArtifact { p += [r.uniform(-300...300), r.uniform(-300...300), r.uniform(-300...300)] }
            return p
        default:
            XCTFail("no random parameters for \(model.name): add them here")
            return []
        }
    }

    /// The spline models' template (a smooth PSF, so finite differences hold across intervals).
    func spline(_ model: ModelID) throws -> SplineTable? {
        switch model {
        case .spline1D: return try SyntheticSplines.psf(dimensions: 1)
        case .spline2D: return try SyntheticSplines.psf(dimensions: 2)
        case .spline3D: return try SyntheticSplines.psf(dimensions: 3)
        default: return nil
        }
    }

    func coordinates(_ model: ModelID) -> (FitCoordinates, Int) {
        if model == .spline2D || model == .spline3D { return (.grid(width: 13, height: 13), 169) }
        // Gpufit's test functions and the 1D spline index their points: x = 0, 1, 2, ...
        if model.descriptor.startRule == .given { return (.sharedX((0..<20).map(Double.init)), 20) }
        switch model.geometry {
        case .grid: return (.grid(width: 9, height: 8), 72)
        case .curve:
            let x = model.exponentialCount > 0 ? stride(from: -400.0, through: 3000, by: 37).map { $0 } : (0..<12).map { Double($0) * 0.8 }
            return (.sharedX(x), x.count)
        }
    }

    func testDerivativesMatchFiniteDifferences() throws {
        var random = SeededRandom(seed: freshSeed(11))
        for model in ModelID.allCases {
            let (coords, n) = coordinates(model)
            let p = model.parameterCount
            let spline = try spline(model)
            for _ in 0..<20 {
                let parameters = randomParameters(model, &random)
                let (_, derivatives) = try ModelEvaluation.evaluate(model, parameters: parameters, coordinates: coords, pointCount: n, spline: spline)
                for j in 0..<p {
                    let h = max(abs(parameters[j]), 1) * 1e-6
                    var up = parameters, down = parameters
                    up[j] += h; down[j] -= h
                    let fUp = try ModelEvaluation.evaluate(model, parameters: up, coordinates: coords, pointCount: n, spline: spline).values
                    let fDown = try ModelEvaluation.evaluate(model, parameters: down, coordinates: coords, pointCount: n, spline: spline).values
                    let scale = max(fUp.map(abs).max()!, 1) / h
                    for k in 0..<n {
                        let numeric = (fUp[k] - fDown[k]) / (2 * h)
                        XCTAssertEqual(derivatives[k * p + j], numeric, accuracy: 1e-6 * scale + 1e-6 * abs(numeric),
                                       "\(model.name) d/d\(model.parameterNames[j]) at point \(k), parameters \(parameters)")
                    }
                }
            }
        }
    }

    func testEveryModelTypeMatchesTheRegistry() throws {
        struct Check: ModelVisitor {
            typealias Lane = Double
            func visit<Model: FitModel>(_ model: Model.Type) throws -> (ModelID, Int) where Model.Lane == Double {
                (Model.id, Model.parameterCount)
            }
        }
        for model in ModelID.allCases {
            let (id, count) = try model.dispatch(to: Check())
            XCTAssertEqual(id, model)
            XCTAssertEqual(count, model.parameterCount, model.name)
            XCTAssertEqual(model.parameterNames.count, model.parameterCount, model.name)
            XCTAssertEqual(ModelID(name: model.name), model)
        }
    }

    func testValuesMatchTheWrittenOutFormulas() throws {
        var r = SeededRandom(seed: freshSeed(12))
        let (grid, n) = coordinates(.gauss2D)
        let g = randomParameters(.gauss2D, &r)
        let values = try ModelEvaluation.evaluate(.gauss2D, parameters: g, coordinates: grid, pointCount: n).values
        for k in 0..<n {
            let x = Double(k % 9), y = Double(k / 9)
            let expected = g[0] * exp(-((x - g[1]) * (x - g[1]) + (y - g[2]) * (y - g[2])) / (2 * g[3] * g[3])) + g[4]
            XCTAssertEqual(values[k], expected, accuracy: 1e-9 * abs(expected))
        }
        // The pixel-integrated Gaussian tends to the plain one for wide spots...
        let wide = [500.0, 4.2, 3.7, 6.0, 10.0]
        let plain = try ModelEvaluation.evaluate(.gauss2D, parameters: wide, coordinates: grid, pointCount: n).values
        let integrated = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: wide, coordinates: grid, pointCount: n).values
        for k in 0..<n { XCTAssertEqual(integrated[k], plain[k], accuracy: 0.01 * wide[0]) }
        // ...and its pixels sum to the integrated signal 2 pi A sigma^2 for a spot inside a large ROI.
        let big = FitCoordinates.grid(width: 41, height: 41)
        let narrow = [100.0, 20.3, 19.8, 0.9, 0.0]
        let sum = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: narrow, coordinates: big, pointCount: 1681).values.reduce(0, +)
        XCTAssertEqual(sum, 2 * Double.pi * 100 * 0.81, accuracy: 1e-9 * sum)
        // The Cauchy peak as Gpufit writes it: A / ((1 + u^2)(1 + v^2)) + B, half maximum at gamma.
        let c = randomParameters(.cauchy2DElliptic, &r)
        let cauchy = try ModelEvaluation.evaluate(.cauchy2DElliptic, parameters: c, coordinates: grid, pointCount: n).values
        for k in 0..<n {
            let x = Double(k % 9), y = Double(k / 9)
            let argx = ((c[1] - x) / c[3]) * ((c[1] - x) / c[3]) + 1, argy = ((c[2] - y) / c[4]) * ((c[2] - y) / c[4]) + 1
            XCTAssertEqual(cauchy[k], c[0] / (argx * argy) + c[5], accuracy: 1e-9 * abs(cauchy[k]))
        }
        let half = try ModelEvaluation.evaluate(.cauchy2DElliptic, parameters: [100, 2, 3, 1.5, 4, 0], coordinates: grid, pointCount: n).values
        XCTAssertEqual(half[3 * 9 + 2], 100, accuracy: 1e-9)
        XCTAssertEqual(ModelID.cauchy2DElliptic.rawValue, 4, "Gpufit's CAUCHY_2D_ELLIPTIC")
        // Gpufit's test functions as its CUDA models write them (pi = 3.14159 in the helix).
        let (indices, m) = coordinates(.brownDennis)
        let h = randomParameters(.fletcherPowellHelix, &r)
        let helix = try ModelEvaluation.evaluate(.fletcherPowellHelix, parameters: h, coordinates: indices, pointCount: m).values
        let theta = 0.5 * atan(h[1] / h[0]) / 3.14159
        XCTAssertEqual(helix[0], 10 * (h[2] - 10 * theta), accuracy: 1e-12)
        XCTAssertEqual(helix[1], 10 * ((h[0] * h[0] + h[1] * h[1]).squareRoot() - 1), accuracy: 1e-12)
        XCTAssertEqual(helix[2], h[2], accuracy: 1e-12)
        XCTAssertEqual(helix[3...].map(abs).max(), 0, "no value past the third point")
        let behind = try ModelEvaluation.evaluate(.fletcherPowellHelix, parameters: [-1, 1, 0], coordinates: indices, pointCount: m).values
        XCTAssertEqual(behind[0], -100 * (0.5 * atan(-1.0) / 3.14159 + 0.5), accuracy: 1e-12, "x1 < 0 adds half a turn")
        let b = randomParameters(.brownDennis, &r)
        let brown = try ModelEvaluation.evaluate(.brownDennis, parameters: b, coordinates: indices, pointCount: m).values
        for k in 0..<m {
            let t = Double(k) / 5
            let u = b[0] + b[1] * t - exp(t), v = b[2] + b[3] * sin(t) - cos(t)
            XCTAssertEqual(brown[k], u * u + v * v, accuracy: 1e-9 * (u * u + v * v) + 1e-12)
        }
        // Rotated by zero is the elliptic model; rotated by pi/2 swaps the widths.
        let elliptic = [300.0, 4.0, 3.5, 1.2, 2.4, 5.0]
        let e = try ModelEvaluation.evaluate(.gauss2DElliptic, parameters: elliptic, coordinates: grid, pointCount: n).values
        let r0 = try ModelEvaluation.evaluate(.gauss2DRotated, parameters: elliptic + [0], coordinates: grid, pointCount: n).values
        let swapped = try ModelEvaluation.evaluate(.gauss2DRotated, parameters: [300, 4, 3.5, 2.4, 1.2, 5, Double.pi / 2], coordinates: grid, pointCount: n).values
        for k in 0..<n {
            XCTAssertEqual(r0[k], e[k], accuracy: 1e-9 * e[k])
            XCTAssertEqual(swapped[k], e[k], accuracy: 1e-9 * e[k])
        }
    }

    /// The coherent artefact is what the models' documentation says: the artefact model minus the
    /// plain one is c_0 E + c_1 s dE/dt + c_2 s^2 d^2E/dt^2 for the response Gaussian
    /// E = exp(-(t - t0)^2 / (2 s^2)), the time derivatives taken numerically here; for every
    /// component count.
    func testCoherentArtifactIsTheResponseGaussianAndItsTimeDerivatives() throws {
        var r = SeededRandom(seed: freshSeed(13))
        let delays = stride(from: -400.0, through: 1500, by: 7).map { $0 }
        for n in 1...ModelID.maximumExponentials {
            let plainModel = ModelID.kinetics(exponentials: n)!, artifactModel = ModelID.kinetics(exponentials: n, coherentArtifact: true)!
            XCTAssertEqual(artifactModel.parameterCount, plainModel.parameterCount + 3)
            XCTAssertEqual(Array(artifactModel.parameterNames.prefix(plainModel.parameterCount)), plainModel.parameterNames)
            let plain = randomParameters(plainModel, &r)
            let c = [r.uniform(-300...300), r.uniform(-300...300), r.uniform(-300...300)]
            let with = try ModelEvaluation.evaluate(artifactModel, parameters: plain + c, coordinates: .sharedX(delays), pointCount: delays.count).values
            let without = try ModelEvaluation.evaluate(plainModel, parameters: plain, coordinates: .sharedX(delays), pointCount: delays.count).values
            let t0 = plain[2 * n], s = plain[2 * n + 1], h = 1e-3 * s
            func gaussian(_ t: Double) -> Double { exp(-(t - t0) * (t - t0) / (2 * s * s)) }
            for (k, t) in delays.enumerated() {
                let first = s * (gaussian(t + h) - gaussian(t - h)) / (2 * h)
                let second = s * s * (gaussian(t + h) - 2 * gaussian(t) + gaussian(t - h)) / (h * h)
                let expected = c[0] * gaussian(t) + c[1] * first + c[2] * second
                XCTAssertEqual(with[k] - without[k], expected, accuracy: 1e-5 * (abs(c[0]) + abs(c[1]) + abs(c[2])) + 1e-9 * abs(without[k]),
                               "\(artifactModel.name) at t = \(t), parameters \(plain + c)")
            }
        }
    }

    /// The kinetics model against the naive textbook formula where that formula is safe, and
    /// finite where it overflows (t - t0 = -2 ps with a 20 fs lifetime).
    func testKineticsStableFormMatchesNaiveFormAndNeverOverflows() throws {
        let delays = stride(from: -300.0, through: 2000, by: 10).map { $0 }
        let parameters = [400.0, 350, 120.0, 2500, 15, 60, 3]
        let values = try ModelEvaluation.evaluate(.kinetics2, parameters: parameters, coordinates: .sharedX(delays), pointCount: delays.count).values
        for (k, t) in delays.enumerated() {
            var naive = parameters[6]
            for c in 0..<2 {
                let a = parameters[2 * c], tau = parameters[2 * c + 1], s = parameters[5], tp = t - parameters[4]
                naive += 0.5 * a * exp(-tp / tau + s * s / (2 * tau * tau)) * (1 + erf(tp / (2.0.squareRoot() * s) - s / (2.0.squareRoot() * tau)))
            }
            XCTAssertEqual(values[k], naive, accuracy: 1e-9 * max(abs(naive), 1), "t = \(t)")
        }
        // float32 lanes, exactly where the naive form overflows.
        var p = [SIMD16<Float>](repeating: .init(0), count: 5)
        p[0] = .init(1000); p[1] = .init(20); p[2] = .init(0); p[3] = .init(30); p[4] = .init(0)
        var d = ParameterLanes<SIMD16<Float>>(repeating: .init(0))
        let value = p.withUnsafeBufferPointer { pp in
            KineticsModel<SIMD16<Float>, OneExponential>(parameters: pp.baseAddress!).evaluate(x: .init(-2000), y: .init(0), derivatives: &d)
        }
        XCTAssertTrue(value[0].isFinite && abs(value[0]) < 1e-20, "value at -2 ps: \(value[0])")
        for j in 0..<5 { XCTAssertTrue(d[j][0].isFinite, "derivative \(j) at -2 ps: \(d[j][0])") }
    }
}
