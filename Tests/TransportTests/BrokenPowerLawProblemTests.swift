import FemtofitTestSupport
import Foundation
import Transport
import XCTest

/// `BrokenPowerLawProblem`'s chi^2 and normal equations (per-segment sums, MSDs kept from the last
/// chi^2) against float64 per-frame sums of the model's analytic gradient, which
/// `BrokenPowerLawGradientTests` holds to central differences. Fresh random parameters for 1 to 4
/// segments, breaks in and out of order, delays in every segment and before time zero.
final class BrokenPowerLawProblemTests: XCTestCase {
    func testNormalEquationsMatchPerFrameSumsOfTheGradient() {
        let seed = freshSeed(0xB7)
        var generator = SplitMix(seed: seed)
        for segments in 1...4 {
            let model = BrokenPowerLaw(segmentCount: segments)
            for trial in 0..<100 {
                let p = randomBrokenPowerLawParameters(model, sortedBreaks: trial % 5 != 0, using: &generator)
                let t = [-50.0, 0] + (0..<30).map { _ in exp(Double.random(in: log(5.0)...log(6e5), using: &generator)) }.sorted()
                let sigma = t.map { _ in Double.random(in: 5...500, using: &generator) }
                let y = t.indices.map { model.sigmaSquared(p, at: t[$0]) + sigma[$0] * Double.random(in: -3...3, using: &generator) }
                let reference = Self.perFrameSums(model, p, t, y, sigma)
                let context = "\(segments) segments, p = \(p), seed \(seed)"

                var problem = BrokenPowerLawProblem(model: model, delays: t, y: y, sigma: sigma)
                let count = model.parameterCount
                // Without a chi^2 first (MSDs computed afresh), then after one at p (MSDs reused),
                // then after one at another point (which must not be reused).
                var cases: [(String, () -> Void)] = [("fresh", {})]
                cases.append(("after chi^2 at p", { XCTAssertEqual(problem.chiSquare(p), reference.chiSquare, accuracy: 1e-12 * reference.chiSquare, context) }))
                var elsewhere = p
                elsewhere[1] += 0.3
                cases.append(("after chi^2 elsewhere", { _ = problem.chiSquare(elsewhere) }))
                for (name, before) in cases {
                    before()
                    var a = [Double](repeating: .nan, count: count * count), g = [Double](repeating: .nan, count: count)
                    problem.normal(p, &a, &g)
                    for i in 0..<count {
                        let gScale = (reference.a[i * count + i] * reference.chiSquare).squareRoot()
                        XCTAssertEqual(g[i], reference.g[i], accuracy: 1e-10 * gScale + 1e-300, "g[\(i)], \(name), \(context)")
                        for j in 0..<count {
                            let scale = (reference.a[i * count + i] * reference.a[j * count + j]).squareRoot()
                            XCTAssertEqual(a[i * count + j], reference.a[i * count + j], accuracy: 1e-10 * scale + 1e-300,
                                           "a[\(i),\(j)], \(name), \(context)")
                        }
                    }
                }
            }
        }
    }

    /// chi^2, JᵀWJ and JᵀW r summed frame by frame from `BrokenPowerLaw.sigmaSquared(_:logTime:gradient:)`.
    static func perFrameSums(_ model: BrokenPowerLaw, _ p: [Double], _ t: [Double], _ y: [Double], _ sigma: [Double])
        -> (chiSquare: Double, a: [Double], g: [Double]) {
        let count = model.parameterCount
        var a = [Double](repeating: 0, count: count * count), g = [Double](repeating: 0, count: count), chi = 0.0
        var gradient = [Double](repeating: 0, count: count)
        for k in t.indices {
            let value = gradient.withUnsafeMutableBufferPointer { model.sigmaSquared(p, logTime: t[k] > 0 ? log(t[k]) : nil, gradient: $0) }
            let r = (y[k] - value) / sigma[k]
            chi += r * r
            for i in 0..<count {
                g[i] += gradient[i] / sigma[k] * r
                for j in 0..<count { a[i * count + j] += gradient[i] * gradient[j] / (sigma[k] * sigma[k]) }
            }
        }
        return (chi, a, g)
    }
}
