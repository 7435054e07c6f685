import FitCore

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
            let (residualWeight, curvatureWeight) = PointTerms.add(Kind.self, model: f, data: z, weight: w,
                                                                   inverseData: Kind.isMLE ? inverseData[k] : Lane(0), meatLanes: meatLanes,
                                                                   chiSquare: &chi, notPositive: &nonPositive)
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
