import FitCore
import XCTest
import FemtofitTestSupport

/// The spline models (Gpufit's SPLINE_1D to SPLINE_3D): the evaluation against the spline's
/// formula written out in float64 on fresh random coefficients, against the analytic values of a
/// spline built from a known polynomial, the Catmull–Rom template against what it interpolates,
/// and the checks that refuse a wrong spline.
final class SplineModelTests: XCTestCase {
    /// sum C[a, b, c] u^a v^b w^c and its slopes, literally (powers, no Horner), for one interval.
    func literal(_ c: [Double], dimensions: Int, interval: Int, u: Double, v: Double, w: Double) -> [Double] {
        let orders = (0..<3).map { $0 < dimensions ? 4 : 1 }
        let per = orders.reduce(1, *)
        var value = 0.0, du = 0.0, dv = 0.0, dw = 0.0
        for a in 0..<orders[0] { for b in 0..<orders[1] { for e in 0..<orders[2] {
            let k = c[interval * per + (a * orders[1] + b) * orders[2] + e]
            value += k * pow(u, Double(a)) * pow(v, Double(b)) * pow(w, Double(e))
            if a > 0 { du += k * Double(a) * pow(u, Double(a - 1)) * pow(v, Double(b)) * pow(w, Double(e)) }
            if b > 0 { dv += k * Double(b) * pow(u, Double(a)) * pow(v, Double(b - 1)) * pow(w, Double(e)) }
            if e > 0 { dw += k * Double(e) * pow(u, Double(a)) * pow(v, Double(b)) * pow(w, Double(e - 1)) }
        } } }
        return [value, du, dv, dw]
    }

    func testEvaluationMatchesTheFormulaOnRandomCoefficients() throws {
        var r = SeededRandom(seed: freshSeed(41))
        for dimensions in 1...3 {
            let intervals = (0..<dimensions).map { _ in Int(r.uniform(2...6)) }
            let padded = intervals + [Int](repeating: 1, count: 3 - dimensions)
            let count = padded.reduce(1 << (2 * dimensions), *)
            let coefficients = (0..<count).map { _ in r.uniform(-2...2) }
            let spline = try SplineTable(dimensions: dimensions, intervals: intervals, coefficients: coefficients)
            for _ in 0..<200 {
                // Positions inside and up to 1.5 intervals outside (the end polynomials extrapolate).
                let position = (0..<3).map { r.uniform(-1.5...(Double(padded[$0]) + 1.5)) }
                var index = [0, 0, 0], offset = [0.0, 0.0, 0.0]
                for axis in 0..<dimensions {
                    index[axis] = min(max(Int(position[axis].rounded(.down)), 0), padded[axis] - 1)
                    offset[axis] = position[axis] - Double(index[axis])
                }
                let interval = (index[0] * padded[1] + index[1]) * padded[2] + index[2]
                let expected = literal(coefficients, dimensions: dimensions, interval: interval, u: offset[0], v: offset[1], w: offset[2])
                let got: [Double]
                let gotFloat: [Float]
                switch dimensions {
                case 1:
                    let d = SplineEvaluation.value1D(spline.storage(Double.self), intervals: padded[0], x: position[0])
                    let f = SplineEvaluation.value1D(spline.storage(Float.self), intervals: padded[0], x: Float(position[0]))
                    got = [d.value, d.dx, 0, 0]; gotFloat = [f.value, f.dx, 0, 0]
                case 2:
                    let d = SplineEvaluation.value2D(spline.storage(Double.self), intervals: (padded[0], padded[1]), x: position[0], y: position[1])
                    let f = SplineEvaluation.value2D(spline.storage(Float.self), intervals: (padded[0], padded[1]),
                                                     x: Float(position[0]), y: Float(position[1]))
                    got = [d.value, d.dx, d.dy, 0]; gotFloat = [f.value, f.dx, f.dy, 0]
                default:
                    let d = SplineEvaluation.value3D(spline.storage(Double.self), intervals: spline.intervals,
                                                     x: position[0], y: position[1], z: position[2])
                    let f = SplineEvaluation.value3D(spline.storage(Float.self), intervals: spline.intervals,
                                                     x: Float(position[0]), y: Float(position[1]), z: Float(position[2]))
                    got = [d.value, d.dx, d.dy, d.dz]; gotFloat = [f.value, f.dx, f.dy, f.dz]
                }
                let scale = expected.map(abs).max()! + 1
                for q in 0..<4 {
                    XCTAssertEqual(got[q], expected[q], accuracy: 1e-12 * scale, "\(dimensions)D term \(q) at \(position)")
                    XCTAssertEqual(Double(gotFloat[q]), expected[q], accuracy: 1e-4 * scale, "\(dimensions)D float32 term \(q) at \(position)")
                }
            }
        }
    }

    /// A cubic polynomial P written as a spline (each interval's coefficients are P's Taylor
    /// coefficients at the interval's corner): the models must give A P(x - x0, ...) + B and
    /// its analytic derivatives everywhere, outside the intervals too (extrapolation continues P).
    func testASplineOfAPolynomialGivesThePolynomial() throws {
        var r = SeededRandom(seed: freshSeed(42))
        func binomial(_ n: Int, _ k: Int) -> Double { [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1]][n][k] }
        for dimensions in 1...3 {
            let orders = (0..<3).map { $0 < dimensions ? 4 : 1 }
            let polynomial = (0..<orders.reduce(1, *)).map { _ in r.uniform(-1...1) }  // p[a][b][c] of x^a y^b z^c
            func P(_ x: Double, _ y: Double, _ z: Double) -> [Double] {
                var value = 0.0, dx = 0.0, dy = 0.0, dz = 0.0
                for a in 0..<orders[0] { for b in 0..<orders[1] { for c in 0..<orders[2] {
                    let k = polynomial[(a * orders[1] + b) * orders[2] + c]
                    value += k * pow(x, Double(a)) * pow(y, Double(b)) * pow(z, Double(c))
                    if a > 0 { dx += k * Double(a) * pow(x, Double(a - 1)) * pow(y, Double(b)) * pow(z, Double(c)) }
                    if b > 0 { dy += k * Double(b) * pow(x, Double(a)) * pow(y, Double(b - 1)) * pow(z, Double(c)) }
                    if c > 0 { dz += k * Double(c) * pow(x, Double(a)) * pow(y, Double(b)) * pow(z, Double(c - 1)) }
                } } }
                return [value, dx, dy, dz]
            }
            let intervals = [6, 5, 4].prefix(dimensions).map { $0 }
            let padded = intervals + [Int](repeating: 1, count: 3 - dimensions)
            var coefficients: [Double] = []
            for i in 0..<padded[0] { for j in 0..<padded[1] { for k in 0..<padded[2] {
                // (i + u)^a = sum_m binom(a, m) i^(a-m) u^m, on each axis.
                for m in 0..<orders[0] { for n in 0..<orders[1] { for o in 0..<orders[2] {
                    var sum = 0.0
                    for a in m..<orders[0] { for b in n..<orders[1] { for c in o..<orders[2] {
                        sum += polynomial[(a * orders[1] + b) * orders[2] + c]
                            * binomial(a, m) * pow(Double(i), Double(a - m))
                            * binomial(b, n) * pow(Double(j), Double(b - n))
                            * binomial(c, o) * pow(Double(k), Double(c - o))
                    } } }
                    coefficients.append(sum)
                } } }
            } } }
            // Three z slices of 7 x 6 pixels for 3D, so the slice index is tested too.
            let spline = try SplineTable(dimensions: dimensions, intervals: intervals, coefficients: coefficients,
                                         sliceHeight: dimensions == 3 ? 6 : nil)
            let model: ModelID = [.spline1D, .spline2D, .spline3D][dimensions - 1]
            let (coordinates, n): (FitCoordinates, Int) = switch dimensions {
            case 1: (.sharedX((0..<9).map { Double($0) * 0.9 - 1 }), 9)
            case 2: (.grid(width: 7, height: 6), 42)
            default: (.grid(width: 7, height: 18), 126)
            }
            for _ in 0..<10 {
                let a = r.uniform(50...200), b = r.uniform(-5...5)
                let shifts = (0..<dimensions).map { _ in r.uniform(-1.5...1.5) }
                let parameters = [a] + shifts + [b]
                let (values, derivatives) = try ModelEvaluation.evaluate(model, parameters: parameters, coordinates: coordinates,
                                                                         pointCount: n, spline: spline)
                let p = parameters.count
                for k in 0..<n {
                    var x = 0.0, y = 0.0, z = 0.0
                    switch coordinates {
                    case let .sharedX(xs): x = xs[k]
                    case let .grid(width, _): x = Double(k % width); y = Double(k / width)
                    default: break
                    }
                    if dimensions == 3 { z = (y / 6).rounded(.down); y -= z * 6 }
                    let e = P(x - shifts[0], dimensions > 1 ? y - shifts[1] : 0, dimensions > 2 ? z - shifts[2] : 0)
                    let scale = 1e-9 * (abs(a) * (e.map(abs).max()! + 1) + abs(b))
                    XCTAssertEqual(values[k], a * e[0] + b, accuracy: scale, "\(model.name) value at point \(k)")
                    XCTAssertEqual(derivatives[k * p], e[0], accuracy: scale, "\(model.name) d/dA at point \(k)")
                    for axis in 0..<dimensions {
                        XCTAssertEqual(derivatives[k * p + 1 + axis], -a * e[1 + axis], accuracy: scale, "\(model.name) shift \(axis) at point \(k)")
                    }
                    XCTAssertEqual(derivatives[k * p + p - 1], 1, "\(model.name) d/dB")
                }
            }
        }
    }

    /// Catmull–Rom interpolation passes through its samples and reproduces a quadratic exactly
    /// away from the edges (where the clamped end samples bend it).
    func testTheInterpolatedTemplatePassesThroughItsSamples() throws {
        var r = SeededRandom(seed: freshSeed(43))
        let q = (0..<6).map { _ in r.uniform(-1...1) }
        func quadratic(_ x: Double, _ y: Double) -> Double { q[0] + q[1] * x + q[2] * y + q[3] * x * x + q[4] * x * y + q[5] * y * y }
        var samples: [Double] = []
        for i in 0..<8 { for j in 0..<7 { samples.append(quadratic(Double(i), Double(j))) } }
        let spline = try SplineTable.interpolating(samples: samples, shape: [8, 7])
        XCTAssertEqual(spline.intervals.x, 7); XCTAssertEqual(spline.intervals.y, 6)
        let c = spline.storage(Double.self)
        for _ in 0..<100 {
            let x = r.uniform(1...6), y = r.uniform(1...5)
            XCTAssertEqual(SplineEvaluation.value2D(c, intervals: (7, 6), x: x, y: y).value, quadratic(x, y), accuracy: 1e-12)
        }
        for i in 0..<7 { for j in 0..<6 {
            XCTAssertEqual(SplineEvaluation.value2D(c, intervals: (7, 6), x: Double(i), y: Double(j)).value, samples[i * 7 + j], accuracy: 1e-12)
        } }
        // The 3D PSF template peaks at 1 in every slice, at its centre.
        let psf = try SyntheticSplines.psf(dimensions: 3)
        for k in 0..<11 {
            XCTAssertEqual(SplineEvaluation.value3D(psf.storage(Double.self), intervals: psf.intervals, x: 10, y: 10, z: Double(k)).value, 1, accuracy: 1e-12)
        }
    }

    func testAWrongSplineIsRefusedWithWhatIsWrong() throws {
        let spline2D = try SyntheticSplines.psf(dimensions: 2)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        var batch = FitBatch(model: .spline3D, width: 13, height: 13, data: [Float](repeating: 1, count: 169))
        batch.initialParameters = [1, 0, 0, 0, 0]
        XCTAssertTrue(message { try batch.validateShape() }.contains("needs the coefficients of a 3D spline"))
        batch.spline = spline2D
        XCTAssertTrue(message { try batch.validateShape() }.contains("needs a 3D spline; the coefficients given are of a 2D spline"))
        batch.spline = try SyntheticSplines.psf(dimensions: 3, sliceHeight: 5)
        XCTAssertTrue(message { try batch.validateShape() }.contains("not a stack of z slices of 5 rows"))
        var gauss = FitBatch(model: .gauss2D, width: 13, height: 13, data: [Float](repeating: 1, count: 169))
        gauss.spline = spline2D
        XCTAssertTrue(message { try gauss.validateShape() }.contains("takes no spline coefficients"))
        var spline = FitBatch(model: .spline2D, width: 13, height: 13, data: [Float](repeating: 1, count: 169))
        spline.spline = spline2D
        XCTAssertTrue(message { try spline.validateShape() }.contains("give start values"))
        XCTAssertTrue(message { _ = try SplineTable(dimensions: 2, intervals: [3, 4], coefficients: [Double](repeating: 0, count: 191)) }
            .contains("has 192 coefficients (16 per interval), not 191"))
        XCTAssertTrue(message { _ = try SplineTable(dimensions: 1, intervals: [2], coefficients: [0, 0, 0, 0, 0, .nan, 0, 0]) }
            .contains("coefficient 5 (interval 1, term 1) is nan"))
        XCTAssertTrue(message { _ = try SplineTable(dimensions: 4, intervals: [1, 1, 1, 1], coefficients: []) }.contains("1, 2 or 3 dimensions"))
    }
}
