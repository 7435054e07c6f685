import FitCore
import XCTest

/// Random, well-posed fits of every model: truth, data with noise, start values near the truth.
public func randomFits(_ model: ModelID, estimator: Estimator, count: Int, seed: UInt64) throws -> SyntheticFits {
    let noise: NoiseModel = estimator == .poissonMLE ? .poisson : .gaussian(sigma: 8)
    switch model {
    case .gauss2D, .gauss2DPixelated:
        return try SyntheticFits.make(model: model, count: count, coordinates: .grid(width: 13, height: 11), pointCount: 143,
                                      noise: noise, seed: seed, startError: 0.05...0.15) { r in
            [r.uniform(300...1000), r.uniform(5...7), r.uniform(4...6), r.uniform(1.2...2.5), r.uniform(10...60)]
        }
    case .gauss2DElliptic:
        return try SyntheticFits.make(model: model, count: count, coordinates: .grid(width: 15, height: 15), pointCount: 225,
                                      noise: noise, seed: seed, startError: 0.05...0.15) { r in
            [r.uniform(300...1000), r.uniform(6...8), r.uniform(6...8), r.uniform(1.5...2.5), r.uniform(2.5...3.5), r.uniform(10...60)]
        }
    case .cauchy2DElliptic:
        return try SyntheticFits.make(model: model, count: count, coordinates: .grid(width: 15, height: 15), pointCount: 225,
                                      noise: noise, seed: seed, startError: 0.05...0.15) { r in
            [r.uniform(300...1000), r.uniform(6...8), r.uniform(6...8), r.uniform(1.5...2.5), r.uniform(2.5...3.5), r.uniform(10...60)]
        }
    case .gauss2DRotated:
        return try SyntheticFits.make(model: model, count: count, coordinates: .grid(width: 17, height: 17), pointCount: 289,
                                      noise: noise, seed: seed, startError: 0.03...0.08) { r in
            [r.uniform(500...1000), r.uniform(7...9), r.uniform(7...9), r.uniform(1.5...2), r.uniform(3...3.5), r.uniform(10...60), r.uniform(0.3...1.0)]
        }
    case .gauss1D:
        let x = (0..<40).map { Double($0) * 0.5 }
        return try SyntheticFits.make(model: model, count: count, coordinates: .sharedX(x), pointCount: 40,
                                      noise: noise, seed: seed, startError: 0.05...0.15) { r in
            [r.uniform(300...1000), r.uniform(8...12), r.uniform(1.5...3), r.uniform(10...60)]
        }
    case .linear1D:
        let x = (0..<30).map { Double($0) }
        return try SyntheticFits.make(model: model, count: count, coordinates: .sharedX(x), pointCount: 30,
                                      noise: noise, seed: seed, startError: 0.05...0.15) { r in
            [r.uniform(50...100), r.uniform(1...5)]
        }
    case .spline1D, .spline2D, .spline3D:
        return try randomSplineFits(model, noise: noise, count: count, seed: seed)
    case .fletcherPowellHelix:
        // Three points, three parameters: an exact fit, whose residuals say nothing of the noise
        // (no degree of freedom), so least-squares fits carry the noise's inverse variance as
        // weights and take their errors from the curvature alone. Truths where every value is
        // positive and tens of counts (theta < 0, r of 3 to 4.5, x3 of 20 to 40), so Poisson data
        // suit it too.
        var fits = try SyntheticFits.make(model: model, count: count, coordinates: .sharedX([0, 1, 2]), pointCount: 3,
                                          noise: estimator == .poissonMLE ? .poisson : .gaussian(sigma: 0.3), seed: seed,
                                          startError: 0.02...0.06) { r in
            [r.uniform(3...4), r.uniform(-2...(-0.5)), r.uniform(20...40)]
        }
        if estimator == .leastSquares { fits.batch.weights = [Float](repeating: Float(1 / (0.3 * 0.3)), count: 3 * count) }
        return fits
    case .brownDennis:
        // Gpufit's 20 points. x1, x2 near Brown and Dennis's minimum (-11.59, 13.20), so u swings
        // through +-12; x3, x4 of 3 to 5 and 1 to 3 (the minimum's -0.40, 0.24 leave v within
        // +-1.4, a nearly flat direction whose float32 and float64 minima part), so v >= 2,
        // every value is at least 4 and Poisson data suit it too.
        return try SyntheticFits.make(model: model, count: count, coordinates: .sharedX((0..<20).map(Double.init)), pointCount: 20,
                                      noise: estimator == .poissonMLE ? .poisson : .gaussian(sigma: 1), seed: seed,
                                      startError: 0.02...0.06) { r in
            [r.uniform(-12.5...(-10.5)), r.uniform(12.5...14), r.uniform(3...5), r.uniform(1...3)]
        }
    case .kinetics1, .kinetics2, .kinetics3, .kinetics4:
        let delays = kineticsDelays()
        let n = model.exponentialCount
        return try SyntheticFits.make(model: model, count: count, coordinates: .sharedX(delays), pointCount: delays.count,
                                      noise: estimator == .poissonMLE ? .poisson : .gaussian(sigma: 5), seed: seed,
                                      startError: 0.02...0.06) { r in
            var p: [Double] = []
            let taus = [r.uniform(150...250), r.uniform(1500...2500), r.uniform(15000...25000), r.uniform(120_000...160_000)]
            // Three lifetimes share the signal, so each needs more counts to be determined: with
            // 300-600 counts the 200 fs one (4 IRF widths) is often known only to ~30 %, and some
            // fits run it down to ~2 fs over thousands of iterations. Such a fit is not well posed.
            // Four, each ten times the last, as many (at five times apart with more counts, float32
            // stopped short of float64's chi^2 by over 1e-4 in ~1 % of fits).
            let amplitudes = n >= 3 ? 1500.0...3000.0 : 300.0...600.0
            for c in 0..<n { p += [r.uniform(amplitudes), taus[c]] }
            return p + [r.uniform(-20...20), r.uniform(40...60), r.uniform(20...50)]
        }
    case .kinetics1Artifact, .kinetics2Artifact, .kinetics3Artifact, .kinetics4Artifact:
        // With the artefact, time zero is not determined to first order: moving t0 by d turns
        // each convolved decay K into K (1 + d/tau) - d E / (sqrt(2 pi) s), a rescaled amplitude
        // plus a Gaussian, which c_0 takes (dK/dt0 = K/tau - E/(sqrt(2 pi) s)); only c_2's h_3
        // term and second order break the tie, and free, the errors run to 10^7 and float32 and
        // float64 stop in different places. The response width leans on c_1 the same way. So
        // these fits hold t0 and the width at their true values (the derivative suite checks
        // d/dt0 and d/ds); everything else is free. README "Models" says so.
        var delays = stride(from: -300.0, to: 400, by: 5).map { $0 }
        var t = 400.0
        while t < 400_000 { delays.append(t); t *= 1.1 }
        let n = model.exponentialCount
        var fits = try SyntheticFits.make(model: model, count: count, coordinates: .sharedX(delays), pointCount: delays.count,
                                          noise: estimator == .poissonMLE ? .poisson : .gaussian(sigma: 5), seed: seed,
                                          startError: 0.02...0.06) { r in
            var p: [Double] = []
            // Lifetimes about ten times apart (at five, four of them leave float32 short of the
            // float64 minimum in ~1 % of fits).
            let taus = [r.uniform(100...140), r.uniform(1000...1400), r.uniform(10000...14000), r.uniform(100_000...140_000)]
            for c in 0..<n { p += [r.uniform(3000...6000), taus[c]] }
            p += [r.uniform(-20...20), r.uniform(40...60), r.uniform(20...50)]
            // Small enough that the model stays positive (Poisson) at time zero.
            return p + [r.uniform(300...600), r.uniform(-200...200), r.uniform(-150...150)]
        }
        var mask = [Bool](repeating: true, count: model.parameterCount)
        mask[2 * n] = false
        mask[2 * n + 1] = false
        fits.batch.parametersToFit = mask
        for i in 0..<count {
            for j in [2 * n, 2 * n + 1] { fits.batch.initialParameters![i * model.parameterCount + j] = fits.truth[i * model.parameterCount + j] }
        }
        return fits
    default:
        throw FitError.invalidBatch("randomFits has no generator for \(model.name)")
    }
}

/// A non-uniform delay axis in fs, as a TAM run takes it: linear around time zero, then log-spaced.
public func kineticsDelays() -> [Double] {
    var d = stride(from: -500.0, to: 500, by: 25).map { $0 }
    var t = 500.0
    while t < 200_000 { d.append(t); t *= 1.08 }
    return d
}

/// Asserts that `fast` agrees with `reference`: the same state, every parameter within `fraction`
/// of the reference's standard error, standard errors within 2 %, and chi^2 within 1e-4 relative
/// (parameters 0.05 SE apart change chi^2 by ~0.0025, far less).
///
/// One state difference is allowed, for at most 1 % of the fits: a fit that ran to the iteration
/// limit where the reference converged, while sitting at the reference's minimum (every parameter
/// within `fraction` of a standard error, chi^2 within 1e-4 relative). At the tight tolerances
/// the agreement suites use (1e-9), float32 cannot resolve chi^2's change: seen on a kinetics4 MLE
/// fit whose float32 chi^2 of 120.0348 (float64: 120.0343, parameters within 0.017 SE) still moved
/// by an ulp or more every iteration for 1000 iterations (CI at 4a5428a+, seed 17947734396928399472).
public func assertAgreement(_ fast: FitResults, _ reference: FitResults, fraction: Double, context: String,
                     file: StaticString = #filePath, line: UInt = #line) {
    let p = fast.parameterCount
    var mismatchedStates = 0, farParameters = 0, farErrors = 0, farChiSquares = 0, stalledAtMinimum = 0
    var firstProblem: String?
    /// Whether fit `fit` sits at the reference's minimum: chi^2 and every parameter agree.
    func atReferenceMinimum(_ fit: Int) -> Bool {
        let chiFast = fast.chiSquares[fit], chiReference = reference.chiSquares[fit]
        guard abs(chiFast - chiReference) <= 1e-4 * chiReference + 1e-3 else { return false }
        return (0..<p).allSatisfy { j in
            let se = reference.standardErrors[fit * p + j]
            return !(se > 0) || abs(fast.parameters[fit * p + j] - reference.parameters[fit * p + j]) <= fraction * se
        }
    }
    for fit in 0..<fast.fitCount {
        guard let state = fast.state(fit) else {
            XCTFail("\(context): fit \(fit) has no state written", file: file, line: line); return
        }
        if state == .maxIterations && reference.state(fit) == .converged && atReferenceMinimum(fit) {
            stalledAtMinimum += 1
            continue
        }
        if state != reference.state(fit) {
            mismatchedStates += 1
            firstProblem = firstProblem ?? "fit \(fit): state \(state) vs reference \(reference.state(fit).map(String.init(describing:)) ?? "none")"
            continue
        }
        guard state == .converged else { continue }
        let chiFast = fast.chiSquares[fit], chiReference = reference.chiSquares[fit]
        if !(abs(chiFast - chiReference) <= 1e-4 * chiReference + 1e-3) {
            farChiSquares += 1
            firstProblem = firstProblem ?? "fit \(fit): chi2 \(chiFast) vs \(chiReference)"
        }
        for j in 0..<p {
            let seFast = fast.standardErrors[fit * p + j], seReference = reference.standardErrors[fit * p + j]
            if !(abs(seFast - seReference) <= 0.02 * seReference) {
                farErrors += 1
                firstProblem = firstProblem ?? "fit \(fit) standard error of \(fast.model.parameterNames[j]): \(seFast) vs \(seReference)"
            }
        }
        for j in 0..<p {
            let a = fast.parameters[fit * p + j], b = reference.parameters[fit * p + j]
            let se = reference.standardErrors[fit * p + j]
            XCTAssertFalse(a.isNaN, "\(context): fit \(fit) parameter \(j) not written", file: file, line: line)
            if se > 0 && abs(a - b) > fraction * se {
                farParameters += 1
                firstProblem = firstProblem ?? "fit \(fit) parameter \(fast.model.parameterNames[j]): \(a) vs \(b), se \(se)"
            }
        }
    }
    XCTAssertEqual(mismatchedStates, 0, "\(context): states differ; first: \(firstProblem ?? "")", file: file, line: line)
    XCTAssertLessThanOrEqual(stalledAtMinimum, max(1, fast.fitCount / 100),
                             "\(context): \(stalledAtMinimum) fits ran to the limit at the reference's minimum", file: file, line: line)
    XCTAssertEqual(farParameters, 0, "\(context): parameters differ; first: \(firstProblem ?? "")", file: file, line: line)
    XCTAssertEqual(farErrors, 0, "\(context): standard errors differ; first: \(firstProblem ?? "")", file: file, line: line)
    XCTAssertEqual(farChiSquares, 0, "\(context): chi2 differs; first: \(firstProblem ?? "")", file: file, line: line)
}

/// Fits of a spline model: a PSF template of a width drawn from the seed (`SyntheticSplines`),
/// shifted so the peak lands inside the ROI (20 points for 1D, 13 x 13 pixels for 2D and 3D,
/// the 3D template's z between its 3rd and 7th step).
public func randomSplineFits(_ model: ModelID, noise: NoiseModel, count: Int, seed: UInt64) throws -> SyntheticFits {
    let dimensions = model == .spline1D ? 1 : model == .spline2D ? 2 : 3
    var random = SeededRandom(seed: seed ^ 0x5911_e5)
    let spline = try SyntheticSplines.psf(dimensions: dimensions, sigma: random.uniform(1.5...2.5))
    let coordinates: FitCoordinates = dimensions == 1 ? .sharedX((0..<20).map(Double.init)) : .grid(width: 13, height: 13)
    let points = dimensions == 1 ? 20 : 169
    return try SyntheticFits.make(model: model, count: count, coordinates: coordinates, pointCount: points, noise: noise, seed: seed,
                                  startError: 0.05...0.15, spline: spline) { r in
        switch dimensions {
        case 1: return [r.uniform(300...1000), r.uniform(-6.5...(-3.5)), r.uniform(10...60)]
        case 2: return [r.uniform(300...1000), r.uniform(-5...(-3)), r.uniform(-5...(-3)), r.uniform(10...60)]
        default: return [r.uniform(300...1000), r.uniform(-5...(-3)), r.uniform(-5...(-3)), r.uniform(-7...(-3)), r.uniform(10...60)]
        }
    }
}

