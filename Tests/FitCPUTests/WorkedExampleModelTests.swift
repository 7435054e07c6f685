import FitCore
import FitEngine
import Foundation
import ModelLanguage
import XCTest
import FemtofitTestSupport

/// The worked examples of docs/models.md (the files in docs/models/) are read as a user's
/// `--model-file` is, and fit simulated data from their own start expressions: nearly every fit
/// converges, and each parameter's error over the fits is as small as the Cramér–Rao bound allows
/// (normalised errors with a spread near 1 and no bias beyond their own noise).
final class WorkedExampleModelTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/models")

    struct Example {
        let file: String
        let coordinates: FitCoordinates
        let pointCount: Int
        let noise: NoiseModel
        let estimator: Estimator
        let draw: (inout SeededRandom) -> [Double]
    }

    static let examples: [Example] = [
        Example(file: "gauss2d-tilted.toml", coordinates: .grid(width: 15, height: 15), pointCount: 225, noise: .poisson,
                estimator: .poissonMLE) { r in
            [r.uniform(400...800), 7 + r.uniform(-1...1), 7 + r.uniform(-1...1), r.uniform(1.6...2.4), r.uniform(20...40),
             r.uniform(-1...1), r.uniform(-1...1)]
        },
        Example(file: "two-gaussians.toml", coordinates: .grid(width: 17, height: 17), pointCount: 289, noise: .poisson,
                estimator: .poissonMLE) { r in
            [r.uniform(800...1200), r.uniform(1.2...1.6), r.uniform(300...500), r.uniform(3.0...3.6),
             8 + r.uniform(-1...1), 8 + r.uniform(-1...1), r.uniform(10...30)]
        },
        Example(file: "stretched-exponential.toml", coordinates: .sharedX((0..<100).map { 40 * Double($0) }), pointCount: 100,
                noise: .gaussian(sigma: 0.05), estimator: .leastSquares) { r in
            [r.uniform(2...5), r.uniform(500...1500), r.uniform(0.5...0.9), r.uniform(-0.1...0.1)]
        },
    ]

    func testTheWorkedExamplesFitTheirTruthAtTheBound() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".toml") }.sorted()
        XCTAssertEqual(files, Self.examples.map(\.file).sorted(), "every example in docs/models is tested here")
        let count = 300
        for example in Self.examples {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(example.file), encoding: .utf8)
            let model = try ModelText.parse(text).compile().register()
            defer { RuntimeModels.release(model.id) }
            let seed = freshSeed(UInt64(example.pointCount))
            var fits = try SyntheticFits.make(model: model.modelID, count: count, coordinates: example.coordinates,
                                              pointCount: example.pointCount, noise: example.noise, seed: seed, draw: example.draw)
            fits.batch.initialParameters = nil  // the file's start expressions
            let settings = FitSettings(tolerance: 1e-6, maxIterations: 200, estimator: example.estimator)
            let results = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: settings)
            let context = "\(example.file) seed \(seed)"
            let p = model.parameterCount
            let converged = (0..<count).filter { results.state($0) == .converged }
            XCTAssertGreaterThanOrEqual(converged.count, count * 97 / 100, "\(context): fits converged")
            for j in 0..<p {
                // (fitted - truth) / sqrt(bound), per converged fit.
                let normalised = try converged.map { fit -> Double in
                    let truth = Array(fits.truth[fit * p..<(fit + 1) * p])
                    let bound = try CramerRaoBound.variances(model: model.modelID, parameters: truth, coordinates: example.coordinates,
                                                             pointCount: example.pointCount, noise: example.noise)[j]
                    return (results.parameters[fit * p + j] - truth[j]) / bound.squareRoot()
                }
                let n = Double(normalised.count)
                let mean = normalised.reduce(0, +) / n
                let spread = (normalised.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
                let name = model.descriptor.parameterNames[j]
                // The spread of n ~ 300 normalised errors: 1 +- 0.04 for an efficient estimator
                // (0.2 leaves room for the bound being reached only asymptotically); the mean
                // within 5 of its standard error 1 / sqrt(n), plus 0.1 for a small-sample bias.
                XCTAssertLessThan(spread, 1.2, "\(context) \(name): spread of the errors in units of the bound")
                XCTAssertGreaterThan(spread, 0.8, "\(context) \(name): spread of the errors in units of the bound")
                XCTAssertLessThan(abs(mean), 5 / n.squareRoot() + 0.1, "\(context) \(name): bias in units of the bound")
            }
        }
    }
}
