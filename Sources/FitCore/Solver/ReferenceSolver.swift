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
        let outcome = ReferenceFit(prepared: prepared, fit: fit).run()
        let p = prepared.parameterCount
        for j in 0..<p {
            results.parameters[fit * p + j] = outcome.parameters[j]
            results.standardErrors[fit * p + j] = outcome.standardErrors[j]
        }
        results.stateCodes[fit] = outcome.state.rawValue
        results.chiSquares[fit] = outcome.chiSquare
        results.iterations[fit] = Int32(outcome.iterations)
    }
}

/// One fit solved by the reference algorithm, for any model: the model's values and derivatives
/// at every point come from `ModelEvaluation` (a compiled model's Swift type, or a runtime
/// model's program in float64).
struct ReferenceFit {
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
        /// The model's value was not finite at a point, or a sum is not (chi^2 is then NaN).
        var nonFiniteModel = false
    }

    /// With `sandwichMeat`, `curvature` holds sum (w r)^2 d d^T instead (least squares only).
    func evaluate(_ parameters: [Double], sandwichMeat: Bool = false) -> Evaluation {
        var gradient = [Double](repeating: 0, count: p), curvature = [Double](repeating: 0, count: p * p)
        var chiSquare = 0.0, usedPoints = 0, nonPositiveModel = false, nonFiniteModel = false
        let batch = prepared.batch
        let base = fit * prepared.pointCount
        let isMLE = prepared.settings.estimator == .poissonMLE
        let model: (values: [Double], derivatives: [Double])
        do {
            model = try ModelEvaluation.evaluate(batch.model, parameters: parameters, coordinates: batch.coordinates,
                                                 pointCount: prepared.pointCount, fit: fit, spline: batch.spline,
                                                 runtime: prepared.runtimeModel)
        } catch {
            preconditionFailure("a prepared batch's model evaluates: \(error)")
        }
        for k in 0..<prepared.pointCount {
            let f = model.values[k]
            // Every point counts here, masked ones too, as in the SIMD backend's runtime pass.
            if !f.isFinite { nonFiniteModel = true }
            let w = Double(batch.weights?[base + k] ?? 1)
            if w == 0 { continue }
            let d = model.derivatives[(k * p)..<((k + 1) * p)]
            let z = Double(batch.data[base + k])
            usedPoints += 1
            let residualWeight: Double, curvatureWeight: Double
            if isMLE {
                if f.isFinite && !(f > 0) { nonPositiveModel = true; break }
                chiSquare += 2 * w * (f - z) - (z > 0 ? 2 * w * z * log(f / z) : 0)
                residualWeight = w * (z / f - 1)
                curvatureWeight = w * z / (f * f)
            } else {
                chiSquare += w * (z - f) * (z - f)
                residualWeight = w * (z - f)
                curvatureWeight = sandwichMeat ? residualWeight * residualWeight : w
            }
            for i in 0..<p {
                gradient[i] += residualWeight * d[d.startIndex + i]
                let cd = curvatureWeight * d[d.startIndex + i]
                for j in 0...i { curvature[i * p + j] += cd * d[d.startIndex + j] }
            }
        }
        for i in 0..<p { for j in 0..<i { curvature[j * p + i] = curvature[i * p + j] } }
        if nonPositiveModel { chiSquare = .infinity }
        if (0..<p).contains(where: { !gradient[$0].isFinite || !curvature[$0 * p + $0].isFinite }) { nonFiniteModel = true }
        if nonFiniteModel && !nonPositiveModel { chiSquare = .nan }
        return Evaluation(chiSquare: chiSquare, gradient: gradient, curvature: curvature, usedPoints: usedPoints,
                          nonPositiveModel: nonPositiveModel, nonFiniteModel: nonFiniteModel && !nonPositiveModel)
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
        if !current.chiSquare.isFinite || current.nonFiniteModel {
            // Not positive under MLE: negative curvature; not finite: its own state (`FitState`).
            let state: FitState = current.nonPositiveModel ? .negativeCurvature : .nonFiniteModel
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
