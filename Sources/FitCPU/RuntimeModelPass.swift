import FitCore

/// The pass of a runtime model (`RuntimeModel`): its staged program (`StagedEvaluator`) gives the
/// value and derivatives of a block of points at a time (a grid ROI's row, up to `curveBlock`
/// points of a curve), then the block's sums are taken pair by pair of parameters, each over the
/// block's points in a register. Any parameter count up to 32, so the sums live in memory between
/// blocks (one read and write per pair and block, not per point).
final class RuntimeModelPass<Lane: FitLane>: LanePass {
    let points: PointBuffers<Lane>
    let evaluator: StagedEvaluator<Lane>
    let p: Int
    let blockSize: Int
    /// Per point of a block: the residual weight, the curvature weight, and c d_i for one i.
    let residualWeights, curvatureWeights, weightedDerivative: UnsafeMutablePointer<Lane>

    /// A curve's points per block: enough to spread each instruction's dispatch, few enough to
    /// stay in the first-level cache with every register of the block.
    static var curveBlock: Int { 64 }

    init(work: LaneGroupWork<Lane>, points: PointBuffers<Lane>) {
        guard let runtime = work.prepared.runtimeModel else { preconditionFailure("a runtime pass for a batch of a runtime model") }
        precondition(runtime.program.isGrid == points.isGrid, "\(runtime.descriptor.name): the program's geometry is the batch's")
        self.points = points
        p = runtime.parameterCount
        blockSize = points.isGrid ? points.width : min(points.count, Self.curveBlock)
        evaluator = StagedEvaluator(runtime.program, width: blockSize, height: points.height)
        residualWeights = .allocate(capacity: blockSize)
        curvatureWeights = .allocate(capacity: blockSize)
        weightedDerivative = .allocate(capacity: blockSize)
    }

    deinit {
        residualWeights.deallocate(); curvatureWeights.deallocate(); weightedDerivative.deallocate()
    }

    var parameterCount: Int { p }

    @inline(never)
    func accumulate<Kind: PointLoopKind>(_ kind: Kind.Type, at point: UnsafePointer<Lane>, meat: Bool, chiSquare: inout Lane,
                                         gradient g: UnsafeMutablePointer<Lane>, curvature h: UnsafeMutablePointer<Lane>) -> Lane.Mask {
        let p = self.p
        g.update(repeating: Lane(0), count: p)
        h.update(repeating: Lane(0), count: p * (p + 1) / 2)
        var chi = Lane(0)
        var nonPositive = Lane.allFalse, nonFinite = Lane.allFalse
        let data = points.data, weights = points.weights, inverseData = points.inverseData
        let rw = residualWeights, cw = curvatureWeights, e = weightedDerivative
        let meatLanes = Lane.lessThan(Lane(0), Lane(meat ? 1 : 0))
        evaluator.beginPass(parameters: point)
        let n = points.count, size = blockSize
        let blocks = points.isGrid ? points.height : (n + size - 1) / size
        for block in 0..<blocks {
            let first = block * size, count = Swift.min(size, n - first)
            if points.isGrid { evaluator.evaluateRow(block) } else { evaluator.evaluateBlock(x: points.xs + first, count: count) }
            let f = evaluator.value
            for c in 0..<count {
                let k = first + c
                let z = data[k], value = f[c]
                let w = Kind.isWeighted ? weights[k] : Lane(1)
                nonFinite = Lane.or(nonFinite, Lane.not(Lane.isFinite(value)))
                if Kind.isMLE {
                    // As the compiled models' pass (`CompiledModelPass`), point for point.
                    // (A value that is not finite is that, not "not positive".)
                    var notPositive = Lane.and(Lane.not(Lane.lessThan(Lane(0), value)), Lane.lessThan(Lane(0), w))
                    notPositive = Lane.and(notPositive, Lane.isFinite(value))
                    nonPositive = Lane.or(nonPositive, notPositive)
                    let safe = Lane.maximum(value, Lane(1e-30))
                    let inverseModel = Lane(1) / safe
                    let ratio = z * inverseModel
                    let term = PoissonDeviance.term(model: safe, data: z, inverseData: inverseData[k])
                    chi = chi + term * w
                    rw[c] = (ratio - Lane(1)) * w
                    cw[c] = ratio * inverseModel * w
                } else {
                    let r = z - value
                    let wr = Kind.isWeighted ? w * r : r
                    chi = chi.adding(wr, times: r)
                    rw[c] = wr
                    cw[c] = Kind.isWeighted ? Lane.select(meatLanes, wr * wr, w) : w
                }
            }
            var packed = 0
            for i in 0..<p {
                let di = evaluator.derivative(i)
                var gi = Lane(0)
                for c in 0..<count {
                    gi = gi.adding(rw[c], times: di[c])
                    e[c] = Kind.isWeighted ? cw[c] * di[c] : di[c]
                }
                g[i] = g[i] + gi
                for j in 0...i {
                    let dj = evaluator.derivative(j)
                    var sum = Lane(0)
                    for c in 0..<count { sum = sum.adding(e[c], times: dj[c]) }
                    h[packed] = h[packed] + sum
                    packed += 1
                }
            }
        }
        // A derivative that is not finite shows in the sums: the pass is not finite either.
        for i in 0..<p {
            nonFinite = Lane.or(nonFinite, Lane.not(Lane.isFinite(g[i])))
            nonFinite = Lane.or(nonFinite, Lane.not(Lane.isFinite(h[SymmetricSolve.packedIndex(i, i)])))
        }
        chiSquare = Lane.select(nonFinite, Lane(.nan), chi)
        return nonPositive
    }
}
