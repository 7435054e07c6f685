import FemtofitTestSupport
import Foundation
import Transport
import XCTest

/// The regime model's analytic gradient (what `RegimeSegmentation` fits with) against float64
/// central differences of the model itself, on fresh random parameters for 1 to 4 segments and
/// delays in every segment, before time zero included.
final class BrokenPowerLawGradientTests: XCTestCase {
    func testAnalyticGradientMatchesCentralDifferences() {
        let seed = freshSeed(0xB9)
        var generator = SplitMix(seed: seed)
        for segments in 1...4 {
            let model = BrokenPowerLaw(segmentCount: segments)
            for _ in 0..<200 {
                let p = randomBrokenPowerLawParameters(model, sortedBreaks: true, using: &generator)
                let t = [-50.0, 0] + (0..<12).map { _ in exp(Double.random(in: log(5.0)...log(6e5), using: &generator)) }
                for delay in t {
                    var gradient = [Double](repeating: .nan, count: model.parameterCount)
                    let value = gradient.withUnsafeMutableBufferPointer {
                        model.sigmaSquared(p, logTime: delay > 0 ? log(delay) : nil, gradient: $0)
                    }
                    XCTAssertEqual(value, model.sigmaSquared(p, at: delay), accuracy: 1e-9 * abs(value), "seed \(seed)")
                    // Away from a break (where the model has a kink), each derivative by central differences.
                    let nearBreak = (0..<(segments - 1)).contains { abs(log(max(delay, 1e-300)) - p[2 + segments + $0]) < 1e-3 }
                    if nearBreak { continue }
                    // sigma_0^2 enters with slope 1; the rest is the MSD's (differenced alone, so that
                    // sigma_0^2's size does not drown the difference in rounding).
                    XCTAssertEqual(gradient[0], 1)
                    let msd = model.msd(p, at: delay)
                    for i in 1..<model.parameterCount {
                        let h = 1e-6 * max(abs(p[i]), 1e-2)
                        var up = p, down = p
                        up[i] += h; down[i] -= h
                        let numeric = (model.msd(up, at: delay) - model.msd(down, at: delay)) / (2 * h)
                        XCTAssertEqual(gradient[i], numeric, accuracy: 1e-5 * abs(numeric) + 1e-7 * msd + 1e-12,
                                       "d/dp\(i), \(segments) segments, t = \(delay) fs, p = \(p), seed \(seed)")
                    }
                }
            }
        }
    }
}

/// Random regime-model parameters for the tests: sigma_0^2, a level, exponents from -0.5 to 2.5,
/// and breaks between 30 fs and 3e5 fs (ln fs), increasing unless `sortedBreaks` is false.
func randomBrokenPowerLawParameters(_ model: BrokenPowerLaw, sortedBreaks: Bool, using generator: inout SplitMix) -> [Double] {
    let segments = model.segmentCount
    var p = [Double.random(in: 1e3...3e4, using: &generator), Double.random(in: 0...6, using: &generator)]
    p += (0..<segments).map { _ in Double.random(in: -0.5...2.5, using: &generator) }
    let breaks = (0..<(segments - 1)).map { _ in Double.random(in: log(30.0)...log(3e5), using: &generator) }
    return p + (sortedBreaks ? breaks.sorted() : breaks)
}

/// A small seeded generator for the test's own draws.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
