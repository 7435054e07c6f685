import FitCore
import FitEngine
import XCTest
import FemtofitTestSupport

/// Gpufit's published algorithm (its Cpufit and CUDA LM, as docs/c-api.md describes it) written
/// out in float64 here, and femtofit's engine under Gpufit's rules (`ConvergenceRule.gpufit`, what
/// the gpufit entry points use) held to it: the same state for at least 99.9 % of fits and
/// iteration counts within one for 99 %, on GAUSS_2D with least squares and Poisson MLE, low
/// counts included (where MLE steps make the model negative and Gpufit ends fits with state 3).
final class GpufitAlgorithmTests: XCTestCase {
    /// Gpufit's Levenberg–Marquardt for one fit, in float64: lambda from 1e-3, x0.1 on an
    /// accepted step and x10 on a rejected one, damping by the largest curvature diagonal seen,
    /// Gauss–Jordan elimination that fails only at an exact zero pivot (state 2), convergence on
    /// |chi^2_new - chi^2_old| < tol x max(1, chi^2_new) after any step, state 1 after
    /// `maxIterations`, and under MLE state 3 as soon as the model is not positive at a point,
    /// trial steps included, with the parameters from before that step.
    struct GpufitReference {
        let model: ModelID
        let coordinates: FitCoordinates
        let pointCount: Int
        let estimator: Estimator
        let tolerance: Double
        let maxIterations: Int

        struct Outcome {
            var parameters: [Double]
            var state: FitState
            var chiSquare: Double
            var iterations: Int
        }

        /// chi^2 (nil where the MLE model is not positive), gradient and curvature (p x p).
        func evaluate(_ parameters: [Double], data: ArraySlice<Double>) throws -> (chi: Double?, gradient: [Double], curvature: [Double]) {
            let p = parameters.count
            let (values, derivatives) = try ModelEvaluation.evaluate(model, parameters: parameters, coordinates: coordinates,
                                                                     pointCount: pointCount)
            var chi = 0.0
            var gradient = [Double](repeating: 0, count: p), curvature = [Double](repeating: 0, count: p * p)
            for k in 0..<pointCount {
                let f = values[k], z = data[data.startIndex + k]
                let residualWeight: Double, curvatureWeight: Double
                switch estimator {
                case .leastSquares:
                    chi += (f - z) * (f - z)
                    residualWeight = z - f
                    curvatureWeight = 1
                case .poissonMLE:
                    if !(f > 0) { return (nil, gradient, curvature) }
                    chi += z != 0 ? 2 * (f - z - z * log(f / z)) : 2 * (f - z)
                    residualWeight = z / f - 1
                    curvatureWeight = z / (f * f)
                }
                for i in 0..<p {
                    gradient[i] += residualWeight * derivatives[k * p + i]
                    for j in 0..<p { curvature[i * p + j] += curvatureWeight * derivatives[k * p + i] * derivatives[k * p + j] }
                }
            }
            return (chi, gradient, curvature)
        }

        /// Gauss–Jordan elimination with full pivoting, as Gpufit solves the damped system; nil
        /// only when the largest remaining pivot is exactly zero.
        static func gaussJordan(_ matrix: [Double], _ rhs: [Double]) -> [Double]? {
            let n = rhs.count
            var a = matrix, b = rhs
            var used = [Bool](repeating: false, count: n)
            var rowOf = [Int](repeating: 0, count: n), columnOf = [Int](repeating: 0, count: n)
            for step in 0..<n {
                var biggest = -1.0, row = 0, column = 0
                for i in 0..<n where !used[i] {
                    for j in 0..<n where !used[j] && abs(a[i * n + j]) >= biggest {
                        (biggest, row, column) = (abs(a[i * n + j]), i, j)
                    }
                }
                used[column] = true
                if row != column {
                    for j in 0..<n { a.swapAt(row * n + j, column * n + j) }
                    b.swapAt(row, column)
                }
                rowOf[step] = row
                columnOf[step] = column
                let pivot = a[column * n + column]
                if pivot == 0 { return nil }
                a[column * n + column] = 1
                for j in 0..<n { a[column * n + j] /= pivot }
                b[column] /= pivot
                for i in 0..<n where i != column {
                    let factor = a[i * n + column]
                    a[i * n + column] = 0
                    for j in 0..<n { a[i * n + j] -= a[column * n + j] * factor }
                    b[i] -= b[column] * factor
                }
            }
            return b
        }

        func fit(data: ArraySlice<Double>, start: [Double]) throws -> Outcome {
            let p = start.count
            var parameters = start
            let first = try evaluate(parameters, data: data)
            guard var previousChi = first.chi else {
                return Outcome(parameters: parameters, state: .negativeCurvature, chiSquare: .nan, iterations: 0)
            }
            var (gradient, curvature) = (first.gradient, first.curvature)
            var lambda = 1e-3
            var scaling = [Double](repeating: 0, count: p)
            var iteration = 0
            while true {
                var damped = curvature
                for i in 0..<p {
                    scaling[i] = max(scaling[i], curvature[i * p + i])
                    damped[i * p + i] += scaling[i] * lambda
                }
                guard let delta = Self.gaussJordan(damped, gradient) else {
                    return Outcome(parameters: parameters, state: .singular, chiSquare: previousChi, iterations: iteration + 1)
                }
                let trial = zip(parameters, delta).map { $0 + $1 }
                let next = try evaluate(trial, data: data)
                guard let chi = next.chi else {
                    return Outcome(parameters: parameters, state: .negativeCurvature, chiSquare: previousChi, iterations: iteration + 1)
                }
                let converged = abs(chi - previousChi) < tolerance * max(1, chi)
                if chi < previousChi {
                    (parameters, gradient, curvature, previousChi) = (trial, next.gradient, next.curvature, chi)
                    lambda *= 0.1
                } else {
                    lambda *= 10
                }
                if converged {
                    return Outcome(parameters: parameters, state: .converged, chiSquare: previousChi, iterations: iteration + 1)
                }
                if iteration == maxIterations - 1 {
                    return Outcome(parameters: parameters, state: .maxIterations, chiSquare: previousChi, iterations: iteration + 1)
                }
                iteration += 1
            }
        }
    }

    /// GAUSS_2D on size x size ROIs: amplitudes in `amplitudes`, background in `backgrounds`,
    /// width 1.2–2, Poisson noise; start values within ±20 % (positions ±0.5 px), as Gpufit's
    /// examples draw them.
    func gaussianBatch(count: Int, size: Int, amplitudes: ClosedRange<Double>, backgrounds: ClosedRange<Double>,
                       seed: UInt64) -> (data: [Double], starts: [Double]) {
        var random = SeededRandom(seed: seed)
        var data: [Double] = [], starts: [Double] = []
        for _ in 0..<count {
            let centre = Double(size - 1) / 2
            let truth = [random.uniform(amplitudes), centre + random.uniform(-1...1), centre + random.uniform(-1...1),
                         random.uniform(1.2...2), random.uniform(backgrounds)]
            for k in 0..<(size * size) {
                let x = Double(k % size), y = Double(k / size)
                let r2 = (x - truth[1]) * (x - truth[1]) + (y - truth[2]) * (y - truth[2])
                data.append(random.poisson(truth[0] * exp(-r2 / (2 * truth[3] * truth[3])) + truth[4]))
            }
            starts += [truth[0] * random.uniform(0.8...1.2), truth[1] + random.uniform(-0.5...0.5),
                       truth[2] + random.uniform(-0.5...0.5), truth[3] * random.uniform(0.8...1.2), truth[4] * random.uniform(0.8...1.2)]
        }
        return (data, starts)
    }

    func checkAgainstGpufit(estimator: Estimator, amplitudes: ClosedRange<Double>, backgrounds: ClosedRange<Double>,
                            salt: UInt64, expectNegativeCurvature: Bool) throws {
        let count = 3000, size = 9, n = size * size
        let seed = freshSeed(salt)
        let (data, starts) = gaussianBatch(count: count, size: size, amplitudes: amplitudes, backgrounds: backgrounds, seed: seed)
        let batch = FitBatch(model: .gauss2D, fitCount: count, pointCount: n, data: data.map(Float.init),
                             coordinates: .grid(width: size, height: size), initialParameters: starts)
        let settings = FitSettings(tolerance: 1e-4, maxIterations: 20, estimator: estimator, weightsAreInverseVariances: true,
                                   convergence: .gpufit)
        let engine = try FitEngine(backend: CPUBackend(precision: .single)).fit(batch, settings: settings)
        let gpufit = GpufitReference(model: .gauss2D, coordinates: .grid(width: size, height: size), pointCount: n,
                                     estimator: estimator, tolerance: 1e-4, maxIterations: 20)
        var sameState = 0, closeIterations = 0, negative = 0
        var firstDifference: String?
        for fit in 0..<count {
            let outcome = try gpufit.fit(data: data[(fit * n)..<((fit + 1) * n)], start: Array(starts[(fit * 5)..<((fit + 1) * 5)]))
            let state = engine.state(fit)
            if outcome.state == .negativeCurvature { negative += 1 }
            if state == outcome.state { sameState += 1 } else {
                firstDifference = firstDifference ?? "fit \(fit): \(state.map(String.init(describing:)) ?? "none") after \(engine.iterations[fit]) vs Gpufit's \(outcome.state) after \(outcome.iterations)"
            }
            if abs(Int(engine.iterations[fit]) - outcome.iterations) <= 1 { closeIterations += 1 }
        }
        let context = "\(estimator), amplitudes \(amplitudes), seed \(seed)"
        XCTAssertGreaterThanOrEqual(Double(sameState), 0.999 * Double(count), "\(context): states; first: \(firstDifference ?? "")")
        XCTAssertGreaterThanOrEqual(Double(closeIterations), 0.99 * Double(count), "\(context): iteration counts")
        if expectNegativeCurvature {
            XCTAssertGreaterThan(negative, count / 100, "\(context): low counts should end some MLE fits in state 3 (\(negative))")
        }
    }

    func testLeastSquaresFollowsGpufit() throws {
        try checkAgainstGpufit(estimator: .leastSquares, amplitudes: 200...1000, backgrounds: 10...50, salt: 0x6F1, expectNegativeCurvature: false)
    }

    func testPoissonMLEFollowsGpufit() throws {
        try checkAgainstGpufit(estimator: .poissonMLE, amplitudes: 200...1000, backgrounds: 10...50, salt: 0x6F2, expectNegativeCurvature: false)
    }

    func testLowCountPoissonMLEFollowsGpufitIntoStateThree() throws {
        try checkAgainstGpufit(estimator: .poissonMLE, amplitudes: 5...20, backgrounds: 0.2...2, salt: 0x6F3, expectNegativeCurvature: true)
    }

    /// The example of issue 19: Cpufit ends this fit with state 3 after one iteration, with the
    /// start values; so do femtofit's backends under Gpufit's rules, and so does the reference here.
    func testAStepIntoANegativeModelEndsAnMLEFitWithStateThree() throws {
        let data: [Float] = [0, 0, 1, 5, 9, 4, 1, 0]
        let start: [Double] = [8, 4, 1, 0.5]
        let batch = FitBatch(model: .gauss1D, fitCount: 1, pointCount: 8, data: data, coordinates: .sharedX((0..<8).map(Double.init)),
                             initialParameters: start)
        let settings = FitSettings(tolerance: 1e-4, maxIterations: 20, estimator: .poissonMLE, convergence: .gpufit)
        for backend in [CPUBackend(precision: .single), ReferenceBackend()] as [any FitBackend] {
            let results = try FitEngine(backend: backend).fit(batch, settings: settings)
            XCTAssertEqual(results.state(0), .negativeCurvature, backend.name)
            XCTAssertEqual(results.iterations[0], 1, backend.name)
            XCTAssertEqual(Array(results.parameters[0..<4]), start, backend.name)
        }
        let gpufit = GpufitReference(model: .gauss1D, coordinates: .sharedX((0..<8).map(Double.init)), pointCount: 8,
                                     estimator: .poissonMLE, tolerance: 1e-4, maxIterations: 20)
        let outcome = try gpufit.fit(data: data.map(Double.init)[...], start: start)
        XCTAssertEqual(outcome.state, .negativeCurvature)
        XCTAssertEqual(outcome.iterations, 1)
        // femtofit's own rule rejects that step and goes on instead.
        let own = try FitEngine(backend: CPUBackend()).fit(batch, settings: FitSettings(estimator: .poissonMLE))
        XCTAssertNotEqual(own.state(0), .negativeCurvature)
    }

    /// A perfectly flat ROI: under Gpufit's rules the amplitude goes to zero and the background to
    /// the constant, as Cpufit does; femtofit's own rule calls such data invalid input.
    func testFlatDataConvergeUnderGpufitsRules() throws {
        let batch = FitBatch(model: .gauss2D, fitCount: 3, pointCount: 81, data: [Float](repeating: 37, count: 243),
                             coordinates: .grid(width: 9, height: 9),
                             initialParameters: [Double](repeating: 0, count: 15).enumerated().map { [100, 4, 4, 1.5, 30][$0.offset % 5] })
        let settings = FitSettings(tolerance: 1e-4, maxIterations: 20, convergence: .gpufit)
        for backend in [CPUBackend(precision: .single), ReferenceBackend()] as [any FitBackend] {
            let results = try FitEngine(backend: backend).fit(batch, settings: settings)
            for fit in 0..<3 {
                XCTAssertEqual(results.state(fit), .converged, backend.name)
                XCTAssertEqual(results.parameters[fit * 5], 0, accuracy: 1e-3, "\(backend.name): amplitude")
                XCTAssertEqual(results.parameters[fit * 5 + 4], 37, accuracy: 1e-3, "\(backend.name): background")
            }
        }
        let own = try FitEngine(backend: CPUBackend()).fit(batch, settings: FitSettings())
        XCTAssertEqual(own.state(0), .invalidInput)
    }

    /// Gpufit's singularity test for a step: only an exactly zero pivot. An indefinite matrix (a
    /// negative pivot) is singular to femtofit's own test and solvable to Gpufit's.
    func testOnlyAZeroPivotIsSingularUnderGpufitsRules() {
        func singular(_ matrix: [Double], zeroPivotOnly: Bool) -> Bool {
            var packed = matrix
            return packed.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: 2, zeroPivotOnly: zeroPivotOnly) }
        }
        let indefinite: [Double] = [1, 2, 1]  // [[1, 2], [2, 1]]: pivots 1 and -3
        let zero: [Double] = [1, 1, 1]        // [[1, 1], [1, 1]]: pivots 1 and 0
        XCTAssertTrue(singular(indefinite, zeroPivotOnly: false))
        XCTAssertFalse(singular(indefinite, zeroPivotOnly: true))
        XCTAssertTrue(singular(zero, zeroPivotOnly: false))
        XCTAssertTrue(singular(zero, zeroPivotOnly: true))
        XCTAssertNil(GpufitReference.gaussJordan([0, 0, 0, 0], [1, 1]))
        XCTAssertEqual(GpufitReference.gaussJordan([1, 2, 2, 1], [3, 3]) ?? [], [1, 1])
    }
}
