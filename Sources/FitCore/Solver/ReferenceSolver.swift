#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The float64 reference: a plain scalar Levenberg–Marquardt, one fit at a time, that every
/// fast path is tested against. Written for clarity, not speed.
///
/// The algorithm is Gpufit's variant of Madsen, Nielsen & Tingleff, "Methods for non-linear least
/// squares problems" (2004), as docs/reference.md §3 gives it: lambda starts at 1e-3; the diagonal
/// is damped by lambda times the largest value it has taken; a step is accepted (lambda / 10) when
/// chi^2 falls and reverted (lambda * 10) otherwise; a fit has converged when chi^2 changed by less
/// than tol * chi^2 in an iteration (see `ConvergenceTest` for the one refinement).
///
/// One change from Gpufit: Gpufit's test is relative to max(1, chi^2), which for unweighted data
/// in small units (dT/T ~ 1e-3, so chi^2 << 1) stops after the first step. femtofit's test is
/// relative to chi^2 itself, floored at `ConvergenceTest.floorFraction` x sum w z^2 so that a fit
/// to noiseless data still ends. For Poisson data or proper weights (chi^2 ~ N) the two agree.
public enum ReferenceSolver {
    /// Solves every valid fit of `prepared` into `results` (ROI-local coordinates; see `FitFinishing`).
    public static func solve(_ prepared: PreparedFits, into results: inout FitResults) {
        for fit in 0..<prepared.fitCount { solve(prepared, fit: fit, into: &results) }
    }

    public static func solve(_ prepared: PreparedFits, fit: Int, into results: inout FitResults) {
        if prepared.problems[fit] != nil {
            FitFinishing.writeInvalid(fit: fit, into: &results)
            return
        }
        withUnsafeMutablePointer(to: &results) { pointer in
            _ = try? prepared.model.dispatch(to: Visitor(prepared: prepared, fit: fit, results: pointer))
        }
    }

    struct Visitor: ModelVisitor {
        typealias Lane = Double
        let prepared: PreparedFits
        let fit: Int
        let results: UnsafeMutablePointer<FitResults>

        init(prepared: PreparedFits, fit: Int, results: UnsafeMutablePointer<FitResults>) {
            self.prepared = prepared; self.fit = fit; self.results = results
        }

        func visit<Model: FitModel>(_ model: Model.Type) throws where Model.Lane == Double {
            let outcome = ReferenceFit<Model>(prepared: prepared, fit: fit).run()
            let p = prepared.parameterCount
            for j in 0..<p {
                results.pointee.parameters[fit * p + j] = outcome.parameters[j]
                results.pointee.standardErrors[fit * p + j] = outcome.standardErrors[j]
            }
            results.pointee.stateCodes[fit] = outcome.state.rawValue
            results.pointee.chiSquares[fit] = outcome.chiSquare
            results.pointee.iterations[fit] = Int32(outcome.iterations)
        }
    }
}

/// One fit solved by the reference algorithm.
struct ReferenceFit<Model: FitModel> where Model.Lane == Double {
    let prepared: PreparedFits
    let fit: Int
    let p: Int
    let mask: [Bool]

    init(prepared: PreparedFits, fit: Int) {
        self.prepared = prepared
        self.fit = fit
        p = prepared.parameterCount
        mask = prepared.fitMask
    }

    struct Outcome {
        var parameters: [Double]
        var standardErrors: [Double]
        var state: FitState
        var chiSquare: Double
        var iterations: Int
    }

    /// chi^2, gradient J^T W r and curvature J^T W J at `parameters` (MLE: their Poisson forms).
    /// chi^2 is +inf where the MLE model is not positive.
    struct Evaluation {
        var chiSquare: Double
        var gradient: [Double]
        var curvature: [Double]  // full p x p
        var usedPoints: Int
        /// MLE: the model was not positive at a point (chi^2 is then +inf).
        var nonPositiveModel = false
    }

    func coordinate(_ k: Int) -> (Double, Double) {
        switch prepared.batch.coordinates {
        case let .grid(width, _): return (Double(k % width), Double(k / width))
        case let .sharedX(x): return (x[k], 0)
        case let .perFitX(x): return (Double(x[fit * prepared.pointCount + k]), 0)
        }
    }

    /// With `sandwichMeat`, `curvature` holds sum (w r)^2 d d^T instead (least squares only).
    func evaluate(_ parameters: [Double], sandwichMeat: Bool = false) -> Evaluation {
        var gradient = [Double](repeating: 0, count: p), curvature = [Double](repeating: 0, count: p * p)
        var derivatives = [Double](repeating: 0, count: p)
        var chiSquare = 0.0, usedPoints = 0, nonPositiveModel = false
        var dd = ParameterLanes<Double>(repeating: 0)
        let batch = prepared.batch
        let base = fit * prepared.pointCount
        let isMLE = prepared.settings.estimator == .poissonMLE
        parameters.withUnsafeBufferPointer { pp in
        batch.data.withUnsafeBufferPointer { data in
        gradient.withUnsafeMutableBufferPointer { g in
        curvature.withUnsafeMutableBufferPointer { h in
        derivatives.withUnsafeMutableBufferPointer { d in
            let model = Model(parameters: pp.baseAddress!, spline: batch.spline)
            for k in 0..<prepared.pointCount {
                let w = Double(batch.weights?[base + k] ?? 1)
                if w == 0 { continue }
                let (x, y) = coordinate(k)
                let f = model.evaluate(x: x, y: y, derivatives: &dd)
                for i in 0..<p { d[i] = dd[i] }
                let z = Double(data[base + k])
                usedPoints += 1
                let residualWeight: Double, curvatureWeight: Double
                if isMLE {
                    if !(f > 0) { chiSquare = .infinity; nonPositiveModel = true; return }
                    chiSquare += 2 * w * (f - z) - (z > 0 ? 2 * w * z * log(f / z) : 0)
                    residualWeight = w * (z / f - 1)
                    curvatureWeight = w * z / (f * f)
                } else {
                    chiSquare += w * (z - f) * (z - f)
                    residualWeight = w * (z - f)
                    curvatureWeight = sandwichMeat ? residualWeight * residualWeight : w
                }
                for i in 0..<p {
                    g[i] += residualWeight * d[i]
                    let cd = curvatureWeight * d[i]
                    for j in 0...i { h[i * p + j] += cd * d[j] }
                }
            }
        }}}}}
        for i in 0..<p { for j in 0..<i { curvature[j * p + i] = curvature[i * p + j] } }
        return Evaluation(chiSquare: chiSquare, gradient: gradient, curvature: curvature, usedPoints: usedPoints,
                          nonPositiveModel: nonPositiveModel)
    }


    /// The damped system restricted to the free parameters, solved; nil if singular.
    func step(_ e: Evaluation, lambda: Double, scale: [Double]) -> [Double]? {
        var packed = Array(repeating: 0.0, count: p * (p + 1) / 2)
        var rhs = Array(repeating: 0.0, count: p)
        for i in 0..<p {
            for j in 0...i {
                let value: Double
                if !mask[i] || !mask[j] { value = i == j ? 1 : 0 }
                else { value = e.curvature[i * p + j] + (i == j ? lambda * scale[i] : 0) }
                packed[SymmetricSolve.packedIndex(i, j)] = value
            }
            rhs[i] = mask[i] ? e.gradient[i] : 0
        }
        let zeroPivotOnly = prepared.settings.convergence == .gpufit
        let singular = packed.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: p, zeroPivotOnly: zeroPivotOnly) }
        if singular { return nil }
        packed.withUnsafeBufferPointer { a in
            rhs.withUnsafeMutableBufferPointer { SymmetricSolve.solve(factorised: a.baseAddress!, $0.baseAddress!, n: p) }
        }
        return rhs.allSatisfy(\.isFinite) ? rhs : nil
    }

    func run() -> Outcome {
        let lower = Array(prepared.lower[fit * p ..< (fit + 1) * p])
        let upper = Array(prepared.upper[fit * p ..< (fit + 1) * p])
        var parameters = Array(prepared.start[fit * p ..< (fit + 1) * p])
        var current = evaluate(parameters)
        let settings = prepared.settings
        if !current.chiSquare.isFinite {
            let state: FitState = settings.estimator == .poissonMLE ? .negativeCurvature : .singular
            return Outcome(parameters: parameters, standardErrors: Array(repeating: .nan, count: p),
                           state: state, chiSquare: current.chiSquare, iterations: 0)
        }
        var signalSquares = 0.0
        for k in 0..<prepared.pointCount {
            let z = Double(prepared.batch.data[fit * prepared.pointCount + k]), w = Double(prepared.batch.weights?[fit * prepared.pointCount + k] ?? 1)
            if w > 0 { signalSquares += w * z * z }
        }
        let floor = ConvergenceTest.floorFraction * signalSquares
        var lambda = 1e-3
        var scale = (0..<p).map { current.curvature[$0 * p + $0] }
        var state = FitState.maxIterations
        var iterations = 0
        var previousSmall = false
        let stopOnNonPositiveModel = settings.convergence == .gpufit && settings.estimator == .poissonMLE
        for iteration in 1...settings.maxIterations {
            iterations = iteration
            for i in 0..<p { scale[i] = max(scale[i], current.curvature[i * p + i]) }
            guard let delta = step(current, lambda: lambda, scale: scale) else { state = .singular; break }
            var trial = parameters
            for i in 0..<p where mask[i] { trial[i] = min(max(parameters[i] + delta[i], lower[i]), upper[i]) }
            let next = evaluate(trial)
            // Gpufit's rule: under MLE a step that makes the model non-positive anywhere, trial
            // steps included, ends the fit at the parameters before it.
            if stopOnNonPositiveModel && next.nonPositiveModel { state = .negativeCurvature; break }
            let small = ConvergenceTest.changeIsSmall(trial: next.chiSquare, current: current.chiSquare,
                                                      tolerance: settings.tolerance, floor: floor, rule: settings.convergence)
            let accepted = next.chiSquare < current.chiSquare
            if accepted {
                parameters = trial; current = next; lambda /= 10
            } else {
                lambda *= 10
            }
            if ConvergenceTest.hasConverged(changeIsSmall: small, accepted: accepted, previousChangeWasSmall: previousSmall,
                                            rule: settings.convergence) {
                state = .converged; break
            }
            previousSmall = small
        }
        var errors = Array(repeating: Double.nan, count: p)
        let variances = state == .singular || state == .negativeCurvature ? nil
            : settings.robustErrors ? sandwichDiagonal(current, meat: evaluate(parameters, sandwichMeat: true))
            : inverseDiagonal(current)
        if let variances {
            let factor = prepared.standardErrorFactor(chiSquare: current.chiSquare, usedPoints: Double(current.usedPoints))
            for i in 0..<p { errors[i] = mask[i] ? (variances[i] * factor).squareRoot() : 0 }
        }
        return Outcome(parameters: parameters, standardErrors: errors, state: state,
                       chiSquare: current.chiSquare, iterations: iterations)
    }

    /// diag of the inverse curvature over the free parameters, or nil if it is singular.
    func inverseDiagonal(_ e: Evaluation) -> [Double]? {
        var packed = Array(repeating: 0.0, count: p * (p + 1) / 2)
        for i in 0..<p {
            for j in 0...i {
                packed[SymmetricSolve.packedIndex(i, j)] = (!mask[i] || !mask[j]) ? (i == j ? 1 : 0) : e.curvature[i * p + j]
            }
        }
        var work = Array(repeating: 0.0, count: p), diagonal = Array(repeating: 0.0, count: p)
        let singular = packed.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: p) }
        if singular { return nil }
        packed.withUnsafeBufferPointer { a in
            work.withUnsafeMutableBufferPointer { w in
                diagonal.withUnsafeMutableBufferPointer { SymmetricSolve.inverseDiagonal(factorised: a.baseAddress!, n: p, work: w.baseAddress!, diagonal: $0.baseAddress!) }
            }
        }
        return diagonal
    }

    /// diag(H^-1 M H^-1) over the free parameters, or nil if H is singular.
    func sandwichDiagonal(_ e: Evaluation, meat: Evaluation) -> [Double]? {
        var packed = [Double](repeating: 0, count: p * (p + 1) / 2), m = packed
        for i in 0..<p {
            for j in 0...i {
                let free = mask[i] && mask[j]
                packed[SymmetricSolve.packedIndex(i, j)] = free ? e.curvature[i * p + j] : (i == j ? 1 : 0)
                m[SymmetricSolve.packedIndex(i, j)] = free ? meat.curvature[i * p + j] : 0
            }
        }
        let singular = packed.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: p) }
        if singular { return nil }
        var columns = [Double](repeating: 0, count: p * p), diagonal = [Double](repeating: 0, count: p)
        packed.withUnsafeBufferPointer { a in
            m.withUnsafeBufferPointer { mm in
                columns.withUnsafeMutableBufferPointer { c in
                    diagonal.withUnsafeMutableBufferPointer {
                        SymmetricSolve.sandwichDiagonal(factorised: a.baseAddress!, meat: mm.baseAddress!, n: p,
                                                        columns: c.baseAddress!, diagonal: $0.baseAddress!)
                    }
                }
            }
        }
        return diagonal
    }
}
