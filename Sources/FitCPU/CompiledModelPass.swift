import FitCore

/// One LM pass over a group's points at given parameters: chi^2, the gradient J^T W r and the
/// packed curvature J^T W J, per lane. `LaneGroupSolver` runs the iteration around it.
protocol LanePass {
    associatedtype Lane: FitLane
    init(work: LaneGroupWork<Lane>, points: PointBuffers<Lane>)
    var parameterCount: Int { get }
    /// The sums at `point` (one lane value per parameter) with loop `kind`; with `meat`
    /// (weighted least squares) the curvature sums hold the sandwich's meat, (w r)^2 d d^T.
    /// Returns the lanes whose MLE model was not positive somewhere (their chi^2 is then +inf).
    /// A lane whose model is not finite gets a chi^2 that is not finite.
    func accumulate<Kind: PointLoopKind>(_ kind: Kind.Type, at point: UnsafePointer<Lane>, meat: Bool, chiSquare: inout Lane,
                                         gradient g: UnsafeMutablePointer<Lane>, curvature h: UnsafeMutablePointer<Lane>) -> Lane.Mask
}

/// A group's points, transposed into lanes (point-major) by the solver: what every pass reads.
struct PointBuffers<Lane: FitLane> {
    let count: Int
    /// A grid ROI's width and height; a curve's points are one row of `count`.
    let width: Int, height: Int
    let isGrid: Bool
    let data: UnsafeMutablePointer<Lane>
    /// 1 / data where data > 0, for the Poisson deviance (MLE only).
    let inverseData: UnsafeMutablePointer<Lane>
    let weights: UnsafeMutablePointer<Lane>
    let xs: UnsafeMutablePointer<Lane>

    init(work: LaneGroupWork<Lane>) {
        let n = work.prepared.pointCount
        count = n
        if case let .grid(w, h) = work.prepared.batch.coordinates { (width, height, isGrid) = (w, h, true) }
        else { (width, height, isGrid) = (n, 1, false) }
        data = .allocate(capacity: n)
        inverseData = .allocate(capacity: n)
        weights = .allocate(capacity: n)
        xs = .allocate(capacity: n)
        if !work.sharedX.isEmpty { for k in 0..<n { xs[k] = work.sharedX[k] } }
        // Unweighted fits keep weights of 1 for the loops that always weigh: MLE and the sandwich.
        if work.prepared.batch.weights == nil { weights.initialize(repeating: Lane(1), count: n) }
    }

    func deallocate() {
        for pointer in [data, inverseData, weights, xs] { pointer.deallocate() }
    }
}

/// The pass of a compiled (built-in) model: the whole point loop one function, with the model
/// inlined and the accumulators in fixed-size locals that the compiler keeps in registers.
final class CompiledModelPass<Model: FitModel, Accumulator: PointAccumulator, Geometry: PointGeometry>: LanePass
where Accumulator.Lane == Model.Lane {
    typealias Lane = Model.Lane
    let points: PointBuffers<Lane>
    /// A grid model's column terms for the current pass, one per column.
    let columns: UnsafeMutablePointer<Model.ColumnTerms>
    /// The batch's spline, for the spline models.
    let spline: SplineTable?

    init(work: LaneGroupWork<Lane>, points: PointBuffers<Lane>) {
        precondition(Geometry.isGrid == points.isGrid,
                     "\(Model.id.name): a \(Geometry.isGrid ? "grid" : "curve") solver given the other geometry")
        self.points = points
        spline = work.prepared.batch.spline
        columns = .allocate(capacity: max(points.width, 1))
    }

    deinit { columns.deallocate() }

    var parameterCount: Int { @inline(__always) get { Model.parameterCount } }

    /// chi^2, gradient and packed curvature at `at`. The whole point loop is this one function,
    /// with the model inlined and the accumulators in fixed-size locals that the compiler keeps
    /// in registers; they are stored once at the end. Returns the lanes whose MLE model was not
    /// positive. With `meat` (weighted least squares), the curvature sums hold the sandwich's
    /// meat, (w r)^2 d d^T. Never inlined: one copy per loop kind, called once per pass.
    @inline(never)
    func accumulate<Kind: PointLoopKind>(_ kind: Kind.Type, at point: UnsafePointer<Lane>, meat: Bool,
                                         chiSquare: inout Lane,
                                         gradient g: UnsafeMutablePointer<Lane>,
                                         curvature h: UnsafeMutablePointer<Lane>) -> Lane.Mask {
        var d = ParameterLanes<Lane>(repeating: Lane(0))
        var sums = Accumulator()
        var chi = Lane(0)
        var nonPositive = Lane.allFalse
        let model = Model(parameters: point, spline: spline)
        let data = points.data, weights = points.weights, xs = points.xs, inverseData = points.inverseData
        let isGrid = Geometry.isGrid, width = points.width, n = points.count
        let meatLanes = Lane.lessThan(Lane(0), Lane(meat ? 1 : 0))
        // Grid models: the column terms once per column, the row terms once per row.
        let columns = self.columns
        if isGrid {
            var x = Lane(0)
            for c in 0..<width { columns[c] = model.columnTerms(x: x); x = x + Lane(1) }
        }
        var row = model.rowTerms(y: Lane(0))
        var rowY = Lane(0), column = 0
        for k in 0..<n {
            let z = data[k]
            let w = Kind.isWeighted ? weights[k] : Lane(1)
            let f = model.evaluate(column: isGrid ? columns[column] : model.columnTerms(x: xs[k]), row: row, derivatives: &d)
            let residualWeight: Lane, curvatureWeight: Lane
            if Kind.isMLE {
                var notPositive = Lane.not(Lane.lessThan(Lane(0), f))
                // Masked points (weight 0) do not count, as in the reference.
                notPositive = Lane.and(notPositive, Lane.lessThan(Lane(0), w))
                nonPositive = Lane.or(nonPositive, notPositive)
                let safe = Lane.maximum(f, Lane(1e-30))
                let inverseModel = Lane(1) / safe
                let ratio = z * inverseModel
                var term = PoissonDeviance.term(model: safe, data: z, inverseData: inverseData[k])
                var rw = ratio - Lane(1)
                var cw = ratio * inverseModel
                term = term * w; rw = rw * w; cw = cw * w
                chi = chi + term
                residualWeight = rw; curvatureWeight = cw
            } else {
                let r = z - f
                let wr = Kind.isWeighted ? w * r : r
                chi = chi.adding(wr, times: r)
                residualWeight = wr
                curvatureWeight = Kind.isWeighted ? Lane.select(meatLanes, wr * wr, w) : w
            }
            sums.add(d, residualWeight: residualWeight, curvatureWeight: curvatureWeight, weighted: Kind.isWeighted)
            if isGrid {
                column += 1
                if column == width {
                    column = 0
                    rowY = rowY + Lane(1)
                    row = model.rowTerms(y: rowY)
                }
            }
        }
        sums.store(gradient: g, curvature: h)
        chiSquare = chi
        return nonPositive
    }
}
