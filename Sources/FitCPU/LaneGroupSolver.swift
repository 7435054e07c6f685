import FitCore

/// Solves SIMD groups of fits of one model: one fit per lane, one thread's scratch memory
/// allocated once and reused for every group it solves. The Levenberg–Marquardt iteration is
/// this class's; the pass over the points (chi^2, gradient and curvature at given parameters) is
/// `Pass`'s: a compiled model's (`CompiledModelPass`) or a runtime model's (`RuntimeModelPass`).
///
/// What is specialised, and so what the build pays for: one solver per pass type (for compiled
/// models, one per model, lane type, accumulator and geometry; `LaneGroupVisitor` pairs them),
/// and inside each pass one point loop per `PointLoopKind`. The LM iteration around the loop is
/// compiled once per solver and picks its loop at run time, once per pass (`pass`), not per point.
final class LaneGroupSolver<Pass: LanePass> {
    typealias Lane = Pass.Lane
    let work: LaneGroupWork<Lane>
    let n: Int
    let p: Int
    let packedSize: Int
    let points: PointBuffers<Lane>
    let passes: Pass

    // Scratch, one value per lane each.
    let parameters, trial, lower, upper, gradient, trialGradient, delta, scale, inverseDiagonal, work2: UnsafeMutablePointer<Lane>
    let curvature, trialCurvature, system: UnsafeMutablePointer<Lane>
    let fixed: [Bool]
    /// Scratch for the columns of H^-1 (robust errors).
    let sandwichColumns: UnsafeMutablePointer<Lane>

    init(work: LaneGroupWork<Lane>) {
        self.work = work
        n = work.prepared.pointCount
        points = PointBuffers(work: work)
        passes = Pass(work: work, points: points)
        p = passes.parameterCount
        packedSize = p * (p + 1) / 2
        let p = self.p
        func vector() -> UnsafeMutablePointer<Lane> { .allocate(capacity: p) }
        parameters = vector(); trial = vector(); lower = vector(); upper = vector()
        gradient = vector(); trialGradient = vector(); delta = vector(); scale = vector()
        inverseDiagonal = vector(); work2 = vector()
        curvature = .allocate(capacity: packedSize); trialCurvature = .allocate(capacity: packedSize)
        system = .allocate(capacity: packedSize)
        fixed = work.prepared.fitMask.map { !$0 }
        sandwichColumns = .allocate(capacity: p * p)
    }

    deinit {
        for pointer in [parameters, trial, lower, upper, gradient, trialGradient, delta, scale,
                        inverseDiagonal, work2, curvature, trialCurvature, system] { pointer.deallocate() }
        sandwichColumns.deallocate()
        points.deallocate()
    }

    /// Loads group `group`'s fits into the lanes (transposed: point-major), then solves them.
    func solve(group: Int) {
        let prepared = work.prepared
        let lanes = Lane.laneCount
        let firstSlot = group * lanes
        let data = points.data, weights = points.weights, inverseData = points.inverseData, xs = points.xs
        var fitOfLane = [Int](repeating: 0, count: lanes)
        // A last, partial group repeats its first fit in the spare lanes; their results are dropped.
        for lane in 0..<lanes { fitOfLane[lane] = work.fits[min(firstSlot + lane, work.fits.count - 1)] }
        let lanesUsed = min(lanes, work.fits.count - firstSlot)
        var usedPoints = Lane(0)
        let hasWeights = prepared.batch.weights != nil
        // Transposed through the lanes' scalars: point k of lane l is scalar k * lanes + l.
        let dataScalars = UnsafeMutableRawPointer(data).assumingMemoryBound(to: Lane.LaneScalar.self)
        prepared.batch.data.withUnsafeBufferPointer { source in
            for lane in 0..<lanes {
                let base = fitOfLane[lane] * n
                for k in 0..<n { dataScalars[k * lanes + lane] = Lane.LaneScalar(source[base + k]) }
            }
        }
        if let w = prepared.batch.weights {
            w.withUnsafeBufferPointer { source in
                for lane in 0..<lanes {
                    let base = fitOfLane[lane] * n
                    var used = 0
                    let weightScalars = UnsafeMutableRawPointer(weights).assumingMemoryBound(to: Lane.LaneScalar.self)
                    for k in 0..<n {
                        let w = source[base + k]
                        weightScalars[k * lanes + lane] = Lane.LaneScalar(w)
                        // A masked point may hold NaN; zero it so 0 x NaN never reaches a sum.
                        if w > 0 { used += 1 } else { dataScalars[k * lanes + lane] = 0 }
                    }
                    usedPoints[lane: lane] = Double(used)
                }
            }
        } else {
            usedPoints = Lane(Double(n))
        }
        if prepared.settings.estimator == .poissonMLE {
            for k in 0..<n { inverseData[k] = Lane(1) / Lane.select(Lane.lessThan(Lane(0), data[k]), data[k], Lane(1)) }
        }
        var squares = Lane(0)
        for k in 0..<n { squares = squares.adding(hasWeights ? weights[k] * data[k] : data[k], times: data[k]) }
        let signalSquares = squares * Lane(ConvergenceTest.floorFraction)
        if case .perFitX(let x) = prepared.batch.coordinates {
            x.withUnsafeBufferPointer { source in
                for lane in 0..<lanes {
                    let base = fitOfLane[lane] * n
                    for k in 0..<n { xs[k][lane: lane] = Double(source[base + k]) }
                }
            }
        }
        for lane in 0..<lanes {
            let base = fitOfLane[lane] * p
            for j in 0..<p {
                parameters[j][lane: lane] = prepared.start[base + j]
                lower[j][lane: lane] = prepared.lower[base + j]
                upper[j][lane: lane] = prepared.upper[base + j]
            }
        }
        iterate(fitOfLane, lanesUsed, usedPoints, signalSquares)
    }

    /// The estimator and weighting of this call's fits, fixed for the solver's life.
    var passKind: PassKind {
        PassKind(estimator: work.prepared.settings.estimator, weighted: work.prepared.batch.weights != nil)
    }

    /// One pass over the points at `point` with this call's loop; the sandwich's meat when
    /// `sandwich` (least squares only: robust errors are refused for MLE in `FitBatch`). The meat
    /// is summed once per fit, so the weighted loop serves it for every fit (weights of 1 when
    /// unweighted, see `init`).
    func pass(_ kind: PassKind, sandwich: Bool = false, at point: UnsafePointer<Lane>, chiSquare: inout Lane,
              gradient g: UnsafeMutablePointer<Lane>, curvature h: UnsafeMutablePointer<Lane>) -> Lane.Mask {
        switch (kind, sandwich) {
        case (.unweightedLSE, false):
            return passes.accumulate(UnweightedLSE.self, at: point, meat: false, chiSquare: &chiSquare, gradient: g, curvature: h)
        case (.weightedLSE, false), (.unweightedLSE, true), (.weightedLSE, true):
            return passes.accumulate(WeightedLSE.self, at: point, meat: sandwich, chiSquare: &chiSquare, gradient: g, curvature: h)
        case (.poissonMLE, false):
            return passes.accumulate(PoissonMLE.self, at: point, meat: false, chiSquare: &chiSquare, gradient: g, curvature: h)
        case (.poissonMLE, true): preconditionFailure("robust errors are least squares only")
        }
    }

    /// Levenberg–Marquardt on every lane at once (see `ReferenceSolver` for the algorithm).
    func iterate(_ fitOfLane: [Int], _ lanesUsed: Int, _ usedPoints: Lane, _ chiSquareFloor: Lane) {
        let settings = work.prepared.settings
        let kind = passKind
        let p = self.p
        var chi = Lane(0)
        let startBad = pass(kind, at: parameters, chiSquare: &chi, gradient: gradient, curvature: curvature)
        chi = Lane.select(startBad, Lane(.infinity), chi)  // as the reference reports it
        // A model that is not finite at the start (chi^2, gradient or curvature NaN or infinite:
        // a runtime model's division by zero, an overflow) cannot take a step: its own state.
        var startNonFinite = Lane.not(Lane.isFinite(chi))
        for i in 0..<p {
            startNonFinite = Lane.or(startNonFinite, Lane.not(Lane.isFinite(gradient[i])))
            startNonFinite = Lane.or(startNonFinite, Lane.not(Lane.isFinite(curvature[SymmetricSolve.packedIndex(i, i)])))
        }
        startNonFinite = Lane.and(startNonFinite, Lane.not(startBad))
        let startInvalid = Lane.or(startBad, startNonFinite)
        var active = Lane.not(startInvalid)
        var singular = Lane.allFalse
        var converged = Lane.allFalse
        var lambda = Lane(1e-3)
        var iterations = Lane(0)
        var previousSmall = Lane.allFalse
        let tolerance = Lane(settings.tolerance)
        let gpufitRule = settings.convergence == .gpufit
        // Gpufit's rule: under MLE a step that makes the model non-positive ends the fit.
        let stopOnNonPositiveModel = gpufitRule && settings.estimator == .poissonMLE
        var stoppedNonPositive = Lane.allFalse
        for i in 0..<p { scale[i] = curvature[SymmetricSolve.packedIndex(i, i)] }
        var iteration = 0
        while iteration < settings.maxIterations && Lane.any(active) {
            iteration += 1
            iterations = Lane.select(active, Lane(Double(iteration)), iterations)
            for i in 0..<p {
                let diagonal = curvature[SymmetricSolve.packedIndex(i, i)]
                scale[i] = Lane.maximum(scale[i], diagonal)
            }
            for i in 0..<p {
                for j in 0...i {
                    let index = SymmetricSolve.packedIndex(i, j)
                    if fixed[i] || fixed[j] { system[index] = Lane(i == j ? 1 : 0) }
                    else if i == j { system[index] = curvature[index].adding(lambda, times: scale[i]) }
                    else { system[index] = curvature[index] }
                }
                delta[i] = fixed[i] ? Lane(0) : gradient[i]
            }
            var stepSingular = SymmetricSolve.factorise(system, n: p, zeroPivotOnly: gpufitRule)
            SymmetricSolve.solve(factorised: system, delta, n: p)
            for i in 0..<p {
                stepSingular = Lane.or(stepSingular, Lane.not(Lane.isFinite(delta[i])))
                trial[i] = fixed[i] ? parameters[i]
                    : Lane.minimum(Lane.maximum(parameters[i] + delta[i], lower[i]), upper[i])
            }
            let newlySingular = Lane.and(active, stepSingular)
            singular = Lane.or(singular, newlySingular)
            active = Lane.and(active, Lane.not(stepSingular))
            var trialChi = Lane(0)
            let trialBad = pass(kind, at: trial, chiSquare: &trialChi, gradient: trialGradient, curvature: trialCurvature)
            trialChi = Lane.select(trialBad, Lane(.infinity), trialChi)
            if stopOnNonPositiveModel {
                let stopped = Lane.and(active, trialBad)
                stoppedNonPositive = Lane.or(stoppedNonPositive, stopped)
                active = Lane.and(active, Lane.not(stopped))
            }
            let change = Lane.absolute(trialChi - chi)
            // ConvergenceTest.changeIsSmall and hasConverged, lane by lane.
            let small = gpufitRule
                ? Lane.lessThan(change, tolerance * Lane.maximum(Lane(1), trialChi))
                : Lane.lessThan(change, tolerance * Lane.maximum(chiSquareFloor, chi))
            let accept = Lane.and(active, Lane.lessThan(trialChi, chi))
            let nowConverged = gpufitRule ? Lane.and(active, small)
                : Lane.and(Lane.and(active, small), Lane.or(accept, previousSmall))
            previousSmall = small
            for i in 0..<p {
                parameters[i] = Lane.select(accept, trial[i], parameters[i])
                gradient[i] = Lane.select(accept, trialGradient[i], gradient[i])
            }
            for i in 0..<packedSize { curvature[i] = Lane.select(accept, trialCurvature[i], curvature[i]) }
            chi = Lane.select(accept, trialChi, chi)
            lambda = Lane.select(accept, lambda * Lane(0.1), Lane.select(active, lambda * Lane(10), lambda))
            converged = Lane.or(converged, nowConverged)
            active = Lane.and(active, Lane.not(nowConverged))
        }
        if settings.robustErrors {
            // The sandwich's meat at the solution, into `trialCurvature` (free after the loop).
            var meatChi = Lane(0)
            _ = pass(kind, sandwich: true, at: parameters, chiSquare: &meatChi, gradient: trialGradient, curvature: trialCurvature)
        }
        writeResults(fitOfLane, lanesUsed, chi, iterations, startBad, startNonFinite, singular, stoppedNonPositive, converged, usedPoints)
    }

    func writeResults(_ fitOfLane: [Int], _ lanesUsed: Int, _ chi: Lane, _ iterations: Lane, _ startBad: Lane.Mask, _ startNonFinite: Lane.Mask,
                      _ singular: Lane.Mask, _ stoppedNonPositive: Lane.Mask, _ converged: Lane.Mask, _ usedPoints: Lane) {
        let prepared = work.prepared
        let out = work.outputs
        // Standard errors: the diagonal of the inverse curvature at the solution.
        for i in 0..<p {
            for j in 0...i {
                let index = SymmetricSolve.packedIndex(i, j)
                system[index] = (fixed[i] || fixed[j]) ? Lane(i == j ? 1 : 0) : curvature[index]
            }
        }
        let curvatureSingular = SymmetricSolve.factorise(system, n: p)
        let robust = prepared.settings.robustErrors
        if robust {
            for i in 0..<p { for j in 0...i where fixed[i] || fixed[j] { trialCurvature[SymmetricSolve.packedIndex(i, j)] = Lane(0) } }
            SymmetricSolve.sandwichDiagonal(factorised: system, meat: trialCurvature, n: p, columns: sandwichColumns, diagonal: inverseDiagonal)
        } else {
            SymmetricSolve.inverseDiagonal(factorised: system, n: p, work: work2, diagonal: inverseDiagonal)
        }
        let isMLE = prepared.settings.estimator == .poissonMLE
        for lane in 0..<lanesUsed {
            let fit = fitOfLane[lane]
            let state: FitState
            if Lane.maskLane(startBad, lane) { state = isMLE ? .negativeCurvature : .singular }
            else if Lane.maskLane(startNonFinite, lane) { state = .nonFiniteModel }
            else if Lane.maskLane(singular, lane) { state = .singular }
            else if Lane.maskLane(stoppedNonPositive, lane) { state = .negativeCurvature }
            else if Lane.maskLane(converged, lane) { state = .converged }
            else { state = .maxIterations }
            let chiSquare = chi[lane: lane]
            let factor = prepared.standardErrorFactor(chiSquare: chiSquare, usedPoints: usedPoints[lane: lane])
            let errorsKnown = !(state == .singular || state == .negativeCurvature || state == .nonFiniteModel)
                && !Lane.maskLane(curvatureSingular, lane)
            for j in 0..<p {
                // Fixed parameters come back exactly as given, not rounded through the lanes.
                out.parameters[fit * p + j] = fixed[j] ? prepared.start[fit * p + j] : parameters[j][lane: lane]
                out.standardErrors[fit * p + j] = !errorsKnown ? .nan
                    : fixed[j] ? 0 : (inverseDiagonal[j][lane: lane] * factor).squareRoot()
            }
            out.states[fit] = state.rawValue
            out.chiSquares[fit] = chiSquare
            out.iterations[fit] = Int32(iterations[lane: lane])
        }
    }
}
