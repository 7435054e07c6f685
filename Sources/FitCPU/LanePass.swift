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
