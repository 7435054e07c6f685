import FitCore

/// What every SIMD group of one call shares, read-only: the prepared fits, which of them are
/// valid, where results go, and the x values of curve models broadcast to lanes.
struct LaneGroupWork<Lane: FitLane>: @unchecked Sendable {
    let prepared: PreparedFits
    /// Indices of the fits to solve, in order; group g holds fits[g * lanes ..< (g + 1) * lanes].
    let fits: UnsafeBufferPointer<Int>
    let outputs: OutputPointers
    /// For `.sharedX` coordinates: each point's x in every lane.
    let sharedX: [Lane]

    init(prepared: PreparedFits, fits: UnsafeBufferPointer<Int>, outputs: OutputPointers) {
        self.prepared = prepared
        self.fits = fits
        self.outputs = outputs
        if case .sharedX(let x) = prepared.batch.coordinates { sharedX = x.map { Lane($0) } } else { sharedX = [] }
    }
}

/// Compile-time choices of the point loop, so each combination gets its own specialised loop
/// with no per-point branch. Three loops: unweighted least squares (the common, hot case),
/// weighted least squares (which also sums the sandwich's meat) and Poisson MLE (always
/// weighted; unweighted fits carry weights of 1, which change no value).
protocol PointLoopKind {
    static var isMLE: Bool { get }
    static var isWeighted: Bool { get }
}
enum UnweightedLSE: PointLoopKind { static var isMLE: Bool { false }; static var isWeighted: Bool { false } }
enum WeightedLSE: PointLoopKind { static var isMLE: Bool { false }; static var isWeighted: Bool { true } }
enum PoissonMLE: PointLoopKind { static var isMLE: Bool { true }; static var isWeighted: Bool { true } }

/// The point loop a call's fits need, chosen at run time once per pass.
enum PassKind {
    case unweightedLSE, weightedLSE, poissonMLE

    init(estimator: Estimator, weighted: Bool) {
        switch (estimator, weighted) {
        case (.leastSquares, false): self = .unweightedLSE
        case (.leastSquares, true): self = .weightedLSE
        case (.poissonMLE, _): self = .poissonMLE
        }
    }
}

/// A model's points as a type: a grid ROI, whose separable terms are computed once per column
/// and row, or a curve with an x per point. Static, so each solver compiles one of the two loops.
protocol PointGeometry { static var isGrid: Bool { get } }
enum GridPoints: PointGeometry { static var isGrid: Bool { true } }
enum CurvePoints: PointGeometry { static var isGrid: Bool { false } }
