import FitCore
import FitEngine
import XCTest
import FemtofitTestSupport

/// Fixed parameters, bounds, unwritten outputs, bad input, auto-start and coordinates, on both
/// the SIMD backend and the reference.
final class FitBehaviourTests: XCTestCase {
    let backends: [any FitBackend] = [CPUBackend(precision: .single), CPUBackend(precision: .double), ReferenceBackend()]

    func spots(count: Int, seed: UInt64) throws -> SyntheticFits {
        try SyntheticFits.make(model: .gauss2D, count: count, coordinates: .grid(width: 15, height: 13), pointCount: 195,
                               noise: .poisson, seed: seed) { r in
            [r.uniform(500...1000), r.uniform(6...8), r.uniform(5...7), r.uniform(1.5...2.5), r.uniform(10...50)]
        }
    }

    /// The shared convergence rule: a small change converges after an accepted step at once, after
    /// a rejected step only when the iteration before also changed chi^2 by little.
    func testConvergenceRule() {
        XCTAssertTrue(ConvergenceTest.hasConverged(changeIsSmall: true, accepted: true, previousChangeWasSmall: false))
        XCTAssertFalse(ConvergenceTest.hasConverged(changeIsSmall: true, accepted: false, previousChangeWasSmall: false))
        XCTAssertTrue(ConvergenceTest.hasConverged(changeIsSmall: true, accepted: false, previousChangeWasSmall: true))
        XCTAssertFalse(ConvergenceTest.hasConverged(changeIsSmall: false, accepted: true, previousChangeWasSmall: true))
        XCTAssertFalse(ConvergenceTest.hasConverged(changeIsSmall: false, accepted: false, previousChangeWasSmall: true))
    }

    func testEveryOutputIsWrittenForEveryFit() throws {
        var fits = try spots(count: 37, seed: freshSeed(1))  // not a multiple of any lane count
        fits.batch.data[5 * 195 + 3] = .nan                 // one invalid fit among them
        for backend in backends {
            let r = try FitEngine(backend: backend).fit(fits.batch)
            for fit in 0..<37 {
                let state = try XCTUnwrap(r.state(fit), "\(backend.name): fit \(fit) state not written")
                XCTAssertGreaterThanOrEqual(r.iterations[fit], 0)
                if fit == 5 { XCTAssertEqual(state, .invalidInput); continue }
                XCTAssertEqual(state, .converged, "\(backend.name) fit \(fit)")
                XCTAssertFalse(r.chiSquares[fit].isNaN, "\(backend.name) fit \(fit) chi2")
                for v in r.parameters(of: fit) { XCTAssertFalse(v.isNaN, "\(backend.name) fit \(fit)") }
                for v in r.standardErrors(of: fit) { XCTAssertTrue(v > 0, "\(backend.name) fit \(fit) standard error \(v)") }
            }
        }
    }

    func testFixedParametersStayFixedAndBoundsHold() throws {
        var fits = try spots(count: 50, seed: freshSeed(2))
        let p = 5
        var start = fits.truth
        for fit in 0..<50 { start[fit * p + 3] = 2.2; start[fit * p + 1] += 0.5 }
        fits.batch.initialParameters = start
        fits.batch.parametersToFit = [true, true, true, false, true]
        fits.batch.lowerBounds = Array(repeating: -.infinity, count: 50 * p)
        fits.batch.upperBounds = Array(repeating: .infinity, count: 50 * p)
        for fit in 0..<50 {
            fits.batch.lowerBounds![fit * p + 0] = 600      // amplitude >= 600
            fits.batch.upperBounds![fit * p + 4] = 20       // offset <= 20
        }
        for backend in backends {
            let r = try FitEngine(backend: backend).fit(fits.batch)
            for fit in 0..<50 {
                XCTAssertEqual(r.parameters[fit * p + 3], 2.2, "\(backend.name): fixed sigma moved")
                XCTAssertEqual(r.standardErrors[fit * p + 3], 0)
                XCTAssertGreaterThanOrEqual(r.parameters[fit * p + 0], 600 - 1e-3, "\(backend.name): lower bound")
                XCTAssertLessThanOrEqual(r.parameters[fit * p + 4], 20 + 1e-3, "\(backend.name): upper bound")
            }
        }
    }

    func testBadInputGetsStatesAndReasonsWithoutSpoilingNeighbours() throws {
        var fits = try spots(count: 8, seed: freshSeed(3))
        let n = 195
        fits.batch.data[1 * n + 10] = .infinity                          // fit 1: Inf pixel
        for k in 0..<n { fits.batch.data[2 * n + k] = 0 }                // fit 2: all-zero ROI
        var weights = [Float](repeating: 1, count: 8 * n)
        weights[3 * n + 7] = -1                                          // fit 3: negative weight
        weights[4 * n + 9] = .nan                                        // fit 4: NaN weight
        for k in 0..<n { weights[5 * n + k] = 0 }                        // fit 5: all weights zero
        weights[6 * n + 20] = 0; fits.batch.data[6 * n + 20] = .nan      // fit 6: NaN pixel, masked: fine
        fits.batch.weights = weights
        for backend in backends {
            let r = try FitEngine(backend: backend).fit(fits.batch, settings: FitSettings(weightsAreInverseVariances: false))
            for fit in 1...5 { XCTAssertEqual(r.state(fit), .invalidInput, "\(backend.name) fit \(fit)") }
            for fit in [0, 6, 7] { XCTAssertEqual(r.state(fit), .converged, "\(backend.name) fit \(fit)") }
        }
        let prepared = try PreparedFits(fits.batch, settings: FitSettings())
        XCTAssertEqual(prepared.problems[1], .nonFiniteData(point: 10))
        XCTAssertEqual(prepared.problems[2], .flatData)
        XCTAssertEqual(prepared.problems[3], .invalidWeight(point: 7))
        XCTAssertEqual(prepared.problems[4], .invalidWeight(point: 9))
        XCTAssertEqual(prepared.problems[5], .allWeightsZero)
        XCTAssertNil(prepared.problems[6])
        XCTAssertTrue(prepared.problems[2]!.description.contains("all-zero"))
    }

    func testNegativeDataUnderMLEIsRefusedPerFit() throws {
        var fits = try spots(count: 3, seed: freshSeed(4))
        fits.batch.data[1 * 195 + 4] = -3
        let r = try FitEngine(backend: CPUBackend()).fit(fits.batch, settings: FitSettings(estimator: .poissonMLE))
        XCTAssertEqual(r.state(1), .invalidInput)
        XCTAssertEqual(r.state(0), .converged)
        let prepared = try PreparedFits(fits.batch, settings: FitSettings(estimator: .poissonMLE))
        XCTAssertEqual(prepared.problems[1], .negativeDataUnderMLE(point: 4))
        XCTAssertTrue(prepared.problems[1]!.description.contains("lse"))
    }

    func testMLEWithANonPositiveStartIsNegativeCurvature() throws {
        var fits = try spots(count: 16, seed: freshSeed(5))
        var start = fits.truth
        start[2 * 5 + 4] = -2000   // offset far below zero: the model is negative everywhere
        fits.batch.initialParameters = start
        for backend in backends {
            let r = try FitEngine(backend: backend).fit(fits.batch, settings: FitSettings(estimator: .poissonMLE))
            XCTAssertEqual(r.state(2), .negativeCurvature, backend.name)
            XCTAssertEqual(r.state(3), .converged, backend.name)
        }
    }

    /// Under weighted MLE a masked point (weight 0) does not count, even where the model is not
    /// positive there: a start that is negative only at the masked point is a valid start.
    func testMaskedPointsDoNotMakeMLEModelsInvalid() throws {
        let x = (0..<30).map(Double.init)
        var fits = try SyntheticFits.make(model: .linear1D, count: 16, coordinates: .sharedX(x), pointCount: 30,
                                          noise: .poisson, seed: freshSeed(6)) { r in [r.uniform(4...6), r.uniform(20...30)] }
        var start = fits.truth
        for fit in 0..<16 { start[fit * 2] = -3 }   // f(0) = -3, positive from x = 1 on
        fits.batch.initialParameters = start
        var weights = [Float](repeating: 1, count: 16 * 30)
        for fit in 0..<16 { weights[fit * 30] = 0 }
        let settings = FitSettings(estimator: .poissonMLE)
        for backend in backends {
            let unmasked = try FitEngine(backend: backend).fit(fits.batch, settings: settings)
            XCTAssertEqual(unmasked.state(7), .negativeCurvature, "\(backend.name): the start is not positive at x = 0")
            var masked = fits.batch
            masked.weights = weights
            let r = try FitEngine(backend: backend).fit(masked, settings: settings)
            for fit in 0..<16 {
                XCTAssertEqual(r.state(fit), .converged, "\(backend.name) fit \(fit)")
                XCTAssertEqual(r.parameters[fit * 2 + 1], fits.truth[fit * 2 + 1], accuracy: 5 * r.standardErrors[fit * 2 + 1],
                               "\(backend.name) fit \(fit): slope")
            }
        }
    }

    /// A pixel size scales positions, widths and their errors, and nothing else.
    func testResultsInNanometres() throws {
        let fits = try spots(count: 4, seed: freshSeed(8))
        let r = try FitEngine().fit(fits.batch)
        let nm = r.inNanometres(pixelSize: 55.6)
        for fit in 0..<4 {
            for j in 0..<5 {
                let factor = [1, 2, 3].contains(j) ? 55.6 : 1
                XCTAssertEqual(nm.parameters[fit * 5 + j], r.parameters[fit * 5 + j] * factor, accuracy: 1e-9 * abs(r.parameters[fit * 5 + j] * factor))
                XCTAssertEqual(nm.standardErrors[fit * 5 + j], r.standardErrors[fit * 5 + j] * factor,
                               accuracy: 1e-9 * r.standardErrors[fit * 5 + j] * factor)
            }
            XCTAssertEqual(nm.chiSquares[fit], r.chiSquares[fit])
            XCTAssertEqual(nm.state(fit), r.state(fit))
        }
    }

    func testWholeCallErrorsThrowWithClearMessages() throws {
        let bad = FitBatch(model: .gauss2D, fitCount: 2, pointCount: 9, data: [Float](repeating: 1, count: 17), coordinates: .grid(width: 3, height: 3))
        XCTAssertThrowsError(try FitEngine().fit(bad)) { XCTAssertTrue("\($0)".contains("17 values")) }
        let wrongGeometry = FitBatch(model: .kinetics1, fitCount: 1, pointCount: 9, data: [Float](repeating: 1, count: 9), coordinates: .grid(width: 3, height: 3))
        XCTAssertThrowsError(try FitEngine().fit(wrongGeometry))
        let fits = try spots(count: 2, seed: 9)
        XCTAssertThrowsError(try FitEngine().fit(fits.batch, settings: FitSettings(tolerance: -1)))
        XCTAssertThrowsError(try FitEngine().fit(fits.batch, settings: FitSettings(maxIterations: 0)))
        var allFixed = fits.batch
        allFixed.parametersToFit = [false, false, false, false, false]
        XCTAssertThrowsError(try FitEngine().fit(allFixed))
    }

    func testAutoStartFindsPositiveAndNegativeSpotsAnywhereInNonSquareROIs() throws {
        let width = 21, height = 12
        for sign in [1.0, -1.0] {
            let fits = try SyntheticFits.make(model: .gauss2D, count: 64, coordinates: .grid(width: width, height: height),
                                              pointCount: width * height, noise: .gaussian(sigma: 0.02), seed: freshSeed(6)) { r in
                [sign * r.uniform(0.5...1), r.uniform(4...16), r.uniform(3...8), r.uniform(1.2...2.5), r.uniform(-0.05...0.05)]
            }
            let r = try FitEngine().fit(fits.batch)
            for fit in 0..<64 {
                XCTAssertEqual(r.state(fit), .converged)
                // Within 5 standard errors of the truth: the right minimum, wherever the spot sits.
                for (j, name) in [(1, "x0"), (2, "y0"), (3, "sigma")] {
                    XCTAssertEqual(r.parameters[fit * 5 + j], fits.truth[fit * 5 + j], accuracy: 5 * r.standardErrors[fit * 5 + j],
                                   "\(name), sign \(sign), fit \(fit)")
                    XCTAssertLessThan(r.standardErrors[fit * 5 + j], 0.2, "\(name) is well determined, fit \(fit)")
                }
            }
        }
    }

    func testAutoStartForKineticsAndCurves() throws {
        let delays = (0..<200).map { i -> Double in i < 40 ? -400 + Double(i) * 20 : 400 * pow(1.04, Double(i - 40)) }
        let fits = try SyntheticFits.make(model: .kinetics2, count: 32, coordinates: .sharedX(delays), pointCount: 200,
                                          noise: .gaussian(sigma: 0.002), seed: freshSeed(7)) { r in
            [r.uniform(0.5...1), r.uniform(200...400), r.uniform(0.2...0.4), r.uniform(5000...20000), r.uniform(-30...30), r.uniform(40...80), 0]
        }
        let r = try FitEngine().fit(fits.batch)
        var good = 0
        for fit in 0..<32 where r.state(fit) == .converged {
            let t0 = r.parameters[fit * 7 + 4], truth = fits.truth[fit * 7 + 4]
            if abs(t0 - truth) < 5 { good += 1 }
        }
        XCTAssertGreaterThanOrEqual(good, 30, "kinetics fits from automatic start values that find t0 within 5 fs")
    }

    func testOriginsPutPositionsInFrameCoordinates() throws {
        var fits = try spots(count: 16, seed: freshSeed(8))
        fits.batch.origins = (0..<16).flatMap { [Double(100 + $0), 50] }
        let r = try FitEngine().fit(fits.batch)
        for fit in 0..<16 {
            XCTAssertEqual(r.parameters[fit * 5 + 1], fits.truth[fit * 5 + 1] + Double(100 + fit), accuracy: 0.3)
            XCTAssertEqual(r.parameters[fit * 5 + 2], fits.truth[fit * 5 + 2] + 50, accuracy: 0.3)
        }
    }

    func testStreamingChunksMatchOneCall() throws {
        let fits = try spots(count: 100, seed: freshSeed(10))
        let whole = try FitEngine().fit(fits.batch)
        var offset = 0
        let chunks = stride(from: 0, to: 100, by: 30).map { start -> FitBatch in
            let count = min(30, 100 - start)
            return FitBatch(model: .gauss2D, fitCount: count, pointCount: 195,
                            data: Array(fits.batch.data[start * 195 ..< (start + count) * 195]), coordinates: fits.batch.coordinates)
        }
        try FitEngine().fit(chunks: chunks) { chunk, results in
            for fit in 0..<chunk.fitCount {
                XCTAssertEqual(Array(results.parameters(of: fit)), Array(whole.parameters(of: offset + fit)))
            }
            offset += chunk.fitCount
        }
        XCTAssertEqual(offset, 100)
    }
}
