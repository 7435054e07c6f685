import FemtofitTestSupport
import FitCore
import FitEngine
import Pipeline
import TAMData
import XCTest

/// The Gaussian-ness check passes Gaussian spots and flags spots of another shape.
final class SpotShapeTests: XCTestCase {
    /// Frames of 41x41 pixels: Gaussian spots, then two-population spots (a narrow and a wide
    /// Gaussian on one centre: heavy tails), with Gaussian noise.
    func frames(seed: UInt64) throws -> (ImageStack, Int) {
        var random = SeededRandom(seed: seed)
        let size = 41, count = 12
        var pixels: [Float] = []
        for k in 0..<count {
            let sigma = 2.5 + 0.1 * Double(k % 6)
            let narrow = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: [1000, 20.3, 19.8, sigma, 50], coordinates: .grid(width: size, height: size),
                                                      pointCount: size * size).values
            let wide = try ModelEvaluation.evaluate(.gauss2DPixelated, parameters: [300, 20.3, 19.8, 2.5 * sigma, 0], coordinates: .grid(width: size, height: size),
                                                    pointCount: size * size).values
            for i in 0..<(size * size) {
                let v = narrow[i] + (k >= count / 2 ? wide[i] : 0)
                pixels.append(Float(v + 5 * random.normal()))
            }
        }
        return (ImageStack(width: size, height: size, pixels: pixels), count / 2)
    }

    func testGaussianSpotsPassAndTwoPopulationSpotsAreFlagged() throws {
        let seed = freshSeed(0x5AA)
        let (stack, firstNonGaussian) = try frames(seed: seed)
        let fitter = StackFitter(model: .gauss2DPixelated, roi: .fixed(width: 41, height: 41), engine: FitEngine(backend: ReferenceBackend()))
        let results = try fitter.fit(stack, source: "test")
        let checks = try SpotShape.check(stack, variances: nil, results: results, model: .gauss2DPixelated)
        XCTAssertEqual(checks.count, 12, "seed \(seed)")
        for c in checks {
            let context = "seed \(seed), frame \(c.frame): z width \(c.widthZ), z kurtosis \(c.kurtosisZ), kurtosis \(c.excessKurtosis) ± \(c.excessKurtosisError) vs \(c.modelExcessKurtosis)"
            if c.frame < firstNonGaussian {
                XCTAssertFalse(c.flagged, context)
                XCTAssertEqual(c.momentSigma2, c.modelMomentSigma2, accuracy: 5 * c.momentSigma2Error, context)
                XCTAssertEqual(c.excessKurtosis, c.modelExcessKurtosis, accuracy: 5 * c.excessKurtosisError, context)
            } else {
                XCTAssertTrue(c.flagged, context)
                XCTAssertGreaterThan(c.excessKurtosis, c.modelExcessKurtosis, context)
            }
        }
    }
}
