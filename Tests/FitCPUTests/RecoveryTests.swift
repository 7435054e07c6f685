import FitCore
import FitEngine
import XCTest

/// On Poisson data drawn from the model itself, the spread of fitted values against the
/// Cramér–Rao bound: MLE within 1.15x of it for x0 and sigma; unweighted LSE within 1.35x (x0)
/// and 1.65x (sigma); bias below a tenth of the spread. 10^4 fits per case, fixed seeds.
final class RecoveryTests: XCTestCase {
    struct Case { let size: Int; let background: Double; let sigma: Double }
    let cases = [Case(size: 15, background: 10, sigma: 1.5), Case(size: 15, background: 100, sigma: 3),
                 Case(size: 25, background: 10, sigma: 3), Case(size: 25, background: 100, sigma: 1.5)]

    func run(_ estimator: Estimator, limits: (x0: Double, sigma: Double)) throws {
        for (index, c) in cases.enumerated() {
            let centre = Double(c.size - 1) / 2
            let truth = [1000, centre + 0.3, centre - 0.2, c.sigma, c.background]
            let fits = try SyntheticFits.make(model: .gauss2D, count: 10_000, coordinates: .grid(width: c.size, height: c.size),
                                              pointCount: c.size * c.size, noise: .poisson, seed: 4242 + UInt64(index)) { _ in truth }
            let results = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: FitSettings(estimator: estimator))
            let bound = try CramerRaoBound.variances(model: .gauss2D, parameters: truth, coordinates: .grid(width: c.size, height: c.size),
                                                     pointCount: c.size * c.size, noise: .poisson)
            let converged = (0..<results.fitCount).filter { results.state($0) == .converged }
            XCTAssertGreaterThan(converged.count, 9_900, "\(estimator) case \(c): converged fits")
            for (j, limit) in [(1, limits.x0), (3, limits.sigma)] {
                let values = converged.map { results.parameters[$0 * 5 + j] }
                let mean = values.reduce(0, +) / Double(values.count)
                let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
                let ratio = sd / bound[j].squareRoot()
                let name = j == 1 ? "x0" : "sigma"
                XCTAssertLessThanOrEqual(ratio, limit, "\(estimator) \(c): sd(\(name)) / sqrt(CRB) = \(ratio)")
                XCTAssertGreaterThan(ratio, 0.9, "\(estimator) \(c): sd(\(name)) below the bound is impossible: \(ratio)")
                XCTAssertLessThan(abs(mean - truth[j]), 0.1 * sd, "\(estimator) \(c): bias of \(name) \(mean - truth[j]), sd \(sd)")
                if estimator == .poissonMLE {
                    // Honest uncertainties: the standard errors each fit reports match the real spread.
                    let meanError = converged.map { results.standardErrors[$0 * 5 + j] }.reduce(0, +) / Double(converged.count)
                    XCTAssertEqual(meanError / sd, 1, accuracy: 0.08, "\(c): reported standard error of \(name) \(meanError), spread \(sd)")
                }
            }
        }
    }

    func testMLEReachesTheBoundWithHonestErrors() throws { try run(.poissonMLE, limits: (1.15, 1.15)) }
    func testLeastSquaresStaysNearTheBound() throws { try run(.leastSquares, limits: (1.35, 1.65)) }

    /// Least-squares standard errors are honest where their assumption holds: unweighted fits of
    /// data with even noise (dT/T, whose noise is the wide probe's shot noise), scaled by the
    /// reduced chi^2; and fits weighted with 1 / variance. Robust (sandwich) errors are honest for
    /// unweighted fits of Poisson counts too, whose curvature errors understate the spread (by up
    /// to 2.6x here).
    func testLeastSquaresErrorsAreHonestWhereTheirAssumptionHolds() throws {
        let truth = [1000.0, 7.3, 6.8, 2.0, 50.0]
        let grid = FitCoordinates.grid(width: 15, height: 15)
        var even = try SyntheticFits.make(model: .gauss2D, count: 10_000, coordinates: grid, pointCount: 225,
                                          noise: .gaussian(sigma: 30), seed: 77) { _ in truth }
        var poisson = try SyntheticFits.make(model: .gauss2D, count: 10_000, coordinates: grid, pointCount: 225,
                                             noise: .poisson, seed: 78) { _ in truth }
        let model = try ModelEvaluation.evaluate(.gauss2D, parameters: truth, coordinates: grid, pointCount: 225).values
        let counts = poisson.batch
        poisson.batch.weights = (0..<(10_000 * 225)).map { Float(1 / model[$0 % 225]) }
        even.batch.weights = nil
        let robust = FitSettings(robustErrors: true)
        for (name, batch, settings) in [("even noise, unweighted", even.batch, FitSettings()),
                                        ("Poisson, weights 1/variance", poisson.batch, FitSettings()),
                                        ("Poisson, unweighted, robust errors", counts, robust),
                                        ("even noise, unweighted, robust errors", even.batch, robust)] {
            let results = try FitEngine().fit(batch, settings: settings)
            let converged = (0..<results.fitCount).filter { results.state($0) == .converged }
            XCTAssertGreaterThan(converged.count, 9_900, name)
            for j in [1, 3] {
                let values = converged.map { results.parameters[$0 * 5 + j] }
                let mean = values.reduce(0, +) / Double(values.count)
                let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
                let meanError = converged.map { results.standardErrors[$0 * 5 + j] }.reduce(0, +) / Double(converged.count)
                XCTAssertEqual(meanError / sd, 1, accuracy: 0.08, "\(name): parameter \(j) reports \(meanError), spread \(sd)")
            }
        }
    }

    /// The bound itself, against Mortensen et al. (2010)'s closed form for least squares
    /// localisation, which the Fisher bound must not exceed, and which it approaches.
    func testBoundAgainstMortensen() throws {
        let size = 41, photons = 5000.0, sigma = 2.0, background = 2.0
        let amplitude = photons / (2 * Double.pi * sigma * sigma)
        let bound = try CramerRaoBound.variances(model: .gauss2DPixelated, parameters: [amplitude, 20.2, 19.9, sigma, background],
                                                 coordinates: .grid(width: size, height: size), pointCount: size * size, noise: .poisson)
        let sa2 = sigma * sigma + 1.0 / 12
        let mortensen = sa2 / photons * (16.0 / 9 + 8 * Double.pi * sa2 * background / photons)
        XCTAssertLessThan(bound[1], mortensen)
        XCTAssertGreaterThan(bound[1], mortensen / 1.9)
        // EMCCD's excess noise doubles the variance, so the bound doubles.
        let emccd = try CramerRaoBound.variances(model: .gauss2DPixelated, parameters: [amplitude, 20.2, 19.9, sigma, background],
                                                 coordinates: .grid(width: size, height: size), pointCount: size * size, noise: .emccd)
        XCTAssertEqual(emccd[1], 2 * bound[1], accuracy: 1e-12)
    }
}
