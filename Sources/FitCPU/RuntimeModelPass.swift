import FitCore

/// The pass of a runtime model (`RuntimeModel`): its staged program (`StagedEvaluator`) gives the
/// value and derivatives of a block of points at a time (a grid ROI's row, up to `curveBlock`
/// points of a curve), then the block's sums are taken.
///
/// Two ways to sum, by `Sums`. With a written-out accumulator (2 to 9 parameters, the compiled
/// models' `Accumulator2` ... `Accumulator9`) every sum stays in a register for the whole pass and
/// each point's derivatives are read once: what the compiled models do, and 1.5x faster than
/// blocks on gauss2d. With `BlockSums` (any count up to 32) the sums live in memory between
/// blocks and are taken four parameters at a time over each block's points.
final class RuntimeModelPass<Lane: FitLane, Sums: PointAccumulator>: LanePass where Sums.Lane == Lane {
    let points: PointBuffers<Lane>
    let evaluator: StagedEvaluator<Lane>
    let p: Int
    let blockSize: Int
    /// Per point of a block: the residual weight, the curvature weight, and c d_i for one i.
    let residualWeights, curvatureWeights, weightedDerivative: UnsafeMutablePointer<Lane>
    /// Where the evaluator leaves each derivative's block (fixed for its life): looked up once,
    /// not per block through the program's arrays.
    let derivatives: UnsafeMutablePointer<UnsafePointer<Lane>>
    /// A block of zeros, read by the sums' blocks past their last parameter.
    let zeros: UnsafeMutablePointer<Lane>
    /// One block's gradient and curvature, before they join the pass's.
    let blockGradient, blockCurvature: UnsafeMutablePointer<Lane>

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
        derivatives = .allocate(capacity: p)
        zeros = .allocate(capacity: blockSize)
        zeros.initialize(repeating: Lane(0), count: blockSize)
        blockGradient = .allocate(capacity: p)
        blockCurvature = .allocate(capacity: p * (p + 1) / 2)
        for j in 0..<p { derivatives[j] = evaluator.derivative(j) }
    }

    deinit {
        residualWeights.deallocate(); curvatureWeights.deallocate(); weightedDerivative.deallocate(); derivatives.deallocate(); zeros.deallocate(); blockGradient.deallocate(); blockCurvature.deallocate()
    }

    var parameterCount: Int { p }

    /// Point `c`'s derivatives into `d`'s first `count` fields (at most 9, a written-out
    /// accumulator's), field by field: with `count` a constant every test folds away (a loop over
    /// the subscript's switch kept `d` in memory).
    @inline(__always)
    static func gather(_ d: inout ParameterLanes<Lane>, _ derivatives: UnsafeMutablePointer<UnsafePointer<Lane>>, point c: Int, count: Int) {
        d.v0 = derivatives[0][c]
        if count > 1 { d.v1 = derivatives[1][c] }
        if count > 2 { d.v2 = derivatives[2][c] }
        if count > 3 { d.v3 = derivatives[3][c] }
        if count > 4 { d.v4 = derivatives[4][c] }
        if count > 5 { d.v5 = derivatives[5][c] }
        if count > 6 { d.v6 = derivatives[6][c] }
        if count > 7 { d.v7 = derivatives[7][c] }
        if count > 8 { d.v8 = derivatives[8][c] }
    }

    /// A block's sums four parameters at a time (`BlockSums`), into `g` and `h` (`gradient`,
    /// `curvature`): each block of four over the block's points with four accumulators, four
    /// independent chains of multiply-adds rather than one (a chain's every step waits for the
    /// last). Past the last parameter (or the diagonal) a block reads zeros and stores nothing.
    @inline(__always)
    func sumByBlocks<Kind: PointLoopKind>(_ kind: Kind.Type, count: Int, gradient g: UnsafeMutablePointer<Lane>,
                                          curvature h: UnsafeMutablePointer<Lane>) {
        let p = self.p, zeros = UnsafePointer(self.zeros)
        var i = 0
        while i < p {
            Self.sumFour(residualWeights, derivatives, from: i, limit: p, count: count, zeros: zeros, into: g)
            i += 4
        }
        for i in 0..<p {
            let di = derivatives[i]
            let ei: UnsafePointer<Lane>
            if Kind.isWeighted {
                for c in 0..<count { weightedDerivative[c] = curvatureWeights[c] * di[c] }
                ei = UnsafePointer(weightedDerivative)
            } else {
                ei = di
            }
            var j = 0
            while j <= i {
                Self.sumFour(ei, derivatives, from: j, limit: i + 1, count: count, zeros: zeros, into: h + SymmetricSolve.packedIndex(i, 0))
                j += 4
            }
        }
    }

    /// target[j] += sum over the block's points of a[c] d_j[c], for j = from ..< min(from + 4, limit).
    @inline(__always)
    static func sumFour(_ a: UnsafePointer<Lane>, _ d: UnsafeMutablePointer<UnsafePointer<Lane>>, from j: Int, limit: Int,
                        count: Int, zeros: UnsafePointer<Lane>, into target: UnsafeMutablePointer<Lane>) {
        let d0 = d[j], d1 = j + 1 < limit ? d[j + 1] : zeros
        let d2 = j + 2 < limit ? d[j + 2] : zeros, d3 = j + 3 < limit ? d[j + 3] : zeros
        var s0 = Lane(0), s1 = Lane(0), s2 = Lane(0), s3 = Lane(0)
        for c in 0..<count {
            let x = a[c]
            s0 = s0.adding(x, times: d0[c]); s1 = s1.adding(x, times: d1[c])
            s2 = s2.adding(x, times: d2[c]); s3 = s3.adding(x, times: d3[c])
        }
        target[j] = target[j] + s0
        if j + 1 < limit { target[j + 1] = target[j + 1] + s1 }
        if j + 2 < limit { target[j + 2] = target[j + 2] + s2 }
        if j + 3 < limit { target[j + 3] = target[j + 3] + s3 }
    }

    @inline(never)
    func accumulate<Kind: PointLoopKind>(_ kind: Kind.Type, at point: UnsafePointer<Lane>, meat: Bool, chiSquare: inout Lane,
                                         gradient g: UnsafeMutablePointer<Lane>, curvature h: UnsafeMutablePointer<Lane>) -> Lane.Mask {
        let p = self.p
        let blocked = Sums.self == BlockSums<Lane>.self
        g.update(repeating: Lane(0), count: p)
        h.update(repeating: Lane(0), count: p * (p + 1) / 2)
        var chi = Lane(0)
        var nonPositive = Lane.allFalse, nonFinite = Lane.allFalse
        let meatLanes = Lane.lessThan(Lane(0), Lane(meat ? 1 : 0))
        evaluator.beginPass(parameters: point)
        let n = points.count, size = blockSize
        let blocks = points.isGrid ? points.height : (n + size - 1) / size
        for block in 0..<blocks {
            let first = block * size, count = Swift.min(size, n - first)
            if points.isGrid { evaluator.evaluateRow(block) } else { evaluator.evaluateBlock(x: points.xs + first, count: count) }
            // The block's sums in locals of their own, added to the pass's after it: kept across
            // the evaluator's call they were spilled to memory and reloaded at every point.
            sumBlock(Kind.self, first: first, count: count, meatLanes: meatLanes, chiSquare: &chi,
                     nonPositive: &nonPositive, nonFinite: &nonFinite, gradient: g, curvature: h)
        }
        // A derivative that is not finite shows in the sums: the pass is not finite either.
        for i in 0..<p {
            nonFinite = Lane.or(nonFinite, Lane.not(Lane.isFinite(g[i])))
            nonFinite = Lane.or(nonFinite, Lane.not(Lane.isFinite(h[SymmetricSolve.packedIndex(i, i)])))
        }
        chiSquare = Lane.select(nonFinite, Lane(.nan), chi)
        return nonPositive
    }

    /// One block's chi^2 and sums, added into `chiSquare`, `gradient` and `curvature`.
    @inline(__always)
    func sumBlock<Kind: PointLoopKind>(_ kind: Kind.Type, first: Int, count: Int, meatLanes: Lane.Mask, chiSquare: inout Lane,
                                       nonPositive: inout Lane.Mask, nonFinite: inout Lane.Mask,
                                       gradient g: UnsafeMutablePointer<Lane>, curvature h: UnsafeMutablePointer<Lane>) {
        let blocked = Sums.self == BlockSums<Lane>.self
        let data = points.data, weights = points.weights, inverseData = points.inverseData
        let rw = residualWeights, cw = curvatureWeights, derivatives = self.derivatives
        let f = evaluator.value
        var sums = Sums()
        var d = ParameterLanes<Lane>(repeating: Lane(0))
        var chi = Lane(0), positiveFailures = Lane.allFalse, finiteFailures = Lane.allFalse
        for c in 0..<count {
            let k = first + c
            let z = data[k], value = f[c]
            let w = Kind.isWeighted ? weights[k] : Lane(1)
            finiteFailures = Lane.or(finiteFailures, Lane.not(Lane.isFinite(value)))
            let (residualWeight, curvatureWeight) = PointTerms.add(Kind.self, model: value, data: z, weight: w,
                                                                   inverseData: Kind.isMLE ? inverseData[k] : Lane(0), meatLanes: meatLanes,
                                                                   chiSquare: &chi, notPositive: &positiveFailures)
            if blocked {
                rw[c] = residualWeight
                cw[c] = curvatureWeight
            } else {
                Self.gather(&d, derivatives, point: c, count: Sums.parameterCount)
                sums.add(d, residualWeight: residualWeight, curvatureWeight: curvatureWeight, weighted: Kind.isWeighted)
            }
        }
        chiSquare = chiSquare + chi
        nonPositive = Lane.or(nonPositive, positiveFailures)
        nonFinite = Lane.or(nonFinite, finiteFailures)
        if blocked {
            sumByBlocks(Kind.self, count: count, gradient: g, curvature: h)
        } else {
            let p = self.p
            sums.store(gradient: blockGradient, curvature: blockCurvature)
            for i in 0..<p { g[i] = g[i] + blockGradient[i] }
            for i in 0..<(p * (p + 1) / 2) { h[i] = h[i] + blockCurvature[i] }
        }
    }
}

/// The marker for `RuntimeModelPass`'s sums in memory by blocks (any parameter count): not an
/// accumulator of its own (its methods are never called).
struct BlockSums<Lane: FitLane>: PointAccumulator {
    static var parameterCount: Int { 0 }
    static var kind: ModelDescriptor.Accumulator { .loop }
    init() {}
    func add(_ d: ParameterLanes<Lane>, residualWeight r: Lane, curvatureWeight c: Lane, weighted: Bool) {}
    func store(gradient: UnsafeMutablePointer<Lane>, curvature: UnsafeMutablePointer<Lane>) {}
}
