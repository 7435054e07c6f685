import FemtofitTestSupport
import FitCore
import XCTest

/// The allocation-free start rules give the general rule's start values: `GridStart` for the 2D
/// models (the same border median, extremes and half-maximum region; float32 sums, so agreement
/// to a few parts in 10^6), `CurveStart` for kinetics on a shared axis (the same arithmetic).
final class StartRuleTests: XCTestCase {
    func testGridStartMatchesTheGeneralRule() throws {
        let seed = freshSeed(71)
        for model in [ModelID.gauss2D, .gauss2DPixelated, .gauss2DElliptic, .gauss2DRotated, .cauchy2DElliptic] {
            for (estimator, shift) in [(Estimator.leastSquares, 0), (.poissonMLE, 1)] {
                let fits = try randomFits(model, estimator: estimator, count: 300, seed: seed &+ UInt64(shift))
                guard case let .grid(width, height) = fits.batch.coordinates else { return XCTFail("a grid model") }
                let rule = GridStart(width: width, height: height)
                let m = width * height, p = model.parameterCount
                var data = fits.batch.data
                // Photo-induced absorption too: every third ROI flipped negative.
                for i in stride(from: 0, to: 300, by: 3) { for k in 0..<m { data[i * m + k] = -data[i * m + k] } }
                try data.withUnsafeBufferPointer { all in
                    for i in 0..<300 {
                        let roi = UnsafeBufferPointer(rebasing: all[i * m ..< (i + 1) * m])
                        let general = AutoStart.estimate(model: model, data: roi, weights: nil, coordinates: fits.batch.coordinates, fit: i)
                        var fast = [Double](repeating: .nan, count: p)
                        fast.withUnsafeMutableBufferPointer { rule.estimate(model: model, data: roi, into: $0.baseAddress!) }
                        for j in 0..<p {
                            let scale = max(abs(general[j]), 1)
                            XCTAssertEqual(fast[j], general[j], accuracy: 2e-5 * scale,
                                           "\(model.name) fit \(i) parameter \(model.parameterNames[j]), seed \(seed)")
                        }
                        if i == 0 { XCTAssertFalse(try XCTUnwrap(fast.first).isNaN) }
                    }
                }
            }
        }
    }

    func testCurveStartMatchesTheGeneralRuleExactly() throws {
        let seed = freshSeed(72)
        for model in ModelID.allCases where model.exponentialCount > 0 {
            let fits = try randomFits(model, estimator: .leastSquares, count: 200, seed: seed)
            guard case let .sharedX(x) = fits.batch.coordinates else { return XCTFail("a shared delay axis") }
            let rule = CurveStart(x: x)
            let m = x.count, p = model.parameterCount
            fits.batch.data.withUnsafeBufferPointer { all in
                for i in 0..<200 {
                    let curve = UnsafeBufferPointer(rebasing: all[i * m ..< (i + 1) * m])
                    let general = AutoStart.estimate(model: model, data: curve, weights: nil, coordinates: fits.batch.coordinates, fit: i)
                    var fast = [Double](repeating: .nan, count: p)
                    fast.withUnsafeMutableBufferPointer { rule.estimate(model: model, data: curve, into: $0.baseAddress!) }
                    XCTAssertEqual(fast, general, "\(model.name) fit \(i), seed \(seed)")
                }
            }
        }
    }

    /// Small ROIs (no inner pixels) and a flat border: the rules still agree.
    func testTinyROIsAndTies() {
        for (width, height) in [(2, 2), (3, 2), (1, 5), (17, 1)] {
            let m = width * height
            let data: [Float] = (0..<m).map { $0 == m / 2 ? 10 : 1 }
            let rule = GridStart(width: width, height: height)
            data.withUnsafeBufferPointer { roi in
                let general = AutoStart.estimate(model: .gauss2D, data: roi, weights: nil, coordinates: .grid(width: width, height: height), fit: 0)
                var fast = [Double](repeating: .nan, count: 5)
                fast.withUnsafeMutableBufferPointer { rule.estimate(model: .gauss2D, data: roi, into: $0.baseAddress!) }
                for j in 0..<5 { XCTAssertEqual(fast[j], general[j], accuracy: 1e-6 * max(1, abs(general[j])), "\(width)x\(height) parameter \(j)") }
            }
        }
    }

    /// The border median by rank counting equals the median of the sorted values, for every count
    /// from 1 to 300 (odd, even, one partial vector or several), with many ties and without.
    func testMedianByRankCountingMatchesSorting() {
        var generator = SystemRandomNumberGenerator()
        for n in 1...300 {
            for ties in [false, true] {
                let values: [Float] = (0..<n).map { _ in
                    ties ? Float(Int.random(in: -3...3, using: &generator)) : Float.random(in: -1e3...1e3, using: &generator)
                }
                let sorted = values.sorted()
                let expected = 0.5 * (Double(sorted[(n - 1) / 2]) + Double(sorted[n / 2]))
                let got = values.withUnsafeBufferPointer { GridStart.median($0.baseAddress!, count: n) }
                XCTAssertEqual(got, expected, "n \(n), ties \(ties): \(values)")
            }
        }
    }
}
