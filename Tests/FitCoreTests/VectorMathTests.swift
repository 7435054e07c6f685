import FitCore
import XCTest
import FemtofitTestSupport

/// The vector functions of the float32 and float64 lanes against libm.
final class VectorMathTests: XCTestCase {
    func sweep(_ range: ClosedRange<Double>, count: Int = 4000) -> [Double] {
        (0..<count).map { range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count - 1) }
    }

    func check(_ name: String, _ xs: [Double], relative: Double, absolute: Double = 0,
               lane: (SIMD16<Float>) -> SIMD16<Float>, exact: (Double) -> Double) {
        var worst = 0.0, worstX = 0.0
        for chunk in stride(from: 0, to: xs.count, by: 16) {
            var v = SIMD16<Float>(repeating: 0)
            for i in 0..<16 { v[i] = Float(xs[min(chunk + i, xs.count - 1)]) }
            let out = lane(v)
            for i in 0..<16 {
                let x = Double(v[i]), want = exact(x), got = Double(out[i])
                let error = abs(got - want) / (relative * abs(want) + absolute)
                if !(error <= worst) { worst = error; worstX = x }
            }
        }
        XCTAssertLessThanOrEqual(worst, 1, "\(name): worst error at x = \(worstX) is \(worst) x the allowance")
    }

    func testFloatLanes() {
        check("exp", sweep(-87...88), relative: 3e-7, lane: { SIMD16<Float>.exp($0) }, exact: { exp($0) })
        check("log", sweep(1e-30...1e30).map { $0 } + sweep(0.01...10), relative: 3e-7, absolute: 1e-7,
              lane: { SIMD16<Float>.log($0) }, exact: { log($0) })
        check("erf", sweep(-6...6), relative: 3e-7, absolute: 3e-7, lane: { SIMD16<Float>.erf($0) }, exact: { erf($0) })
        // erfcx within ~2.4 ulp: 2e-7 relative, from 0 up to the float range.
        let logSweep = sweep(-8...38, count: 4000).map { pow(10, $0) }
        check("erfcx", sweep(0...1e4, count: 20000) + sweep(0...5) + logSweep, relative: 2e-7,
              lane: { SIMD16<Float>.erfcx($0) }, exact: { scaledErfc($0) })
    }

    func testDoubleLanes() {
        var worst = 0.0
        for x in sweep(-700...700, count: 20001) {
            let got = SIMD8<Double>.exp(SIMD8<Double>(repeating: x))[3]
            worst = max(worst, abs(got - exp(x)) / exp(x))
        }
        XCTAssertLessThan(worst, 4e-16)
        // erfcx in float64: the product form and the asymptotic series meet smoothly at 10.
        // Values from mpmath at 30 digits, on both sides of the switch from product to series.
        for (x, exact) in [(9.999999, 0.0561409983031353527889810848468), (10.000001, 0.056140987184510914667160117642),
                           (3, 0.179001151181389950419294815314), (25, 0.0225495724326413589436045839594)] {
            XCTAssertEqual(scaledErfc(x), exact, accuracy: 1e-14 * exact, "erfcx(\(x))")
        }
        XCTAssertEqual(scaledErfc(0), 1, accuracy: 1e-15)
        XCTAssertEqual(scaledErfc(1e6), 1 / (1e6 * Double.pi.squareRoot()), accuracy: 1e-18)
    }
}
