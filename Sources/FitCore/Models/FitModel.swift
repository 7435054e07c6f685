/// A model function, written once for every lane type (see `FitLane`).
///
/// A value of a model type is built from one set of parameters per lane; building it does the
/// per-fit work (reciprocals, sines) so `evaluate`, called once per data point, does only the
/// per-point work. `evaluate` returns the model value and writes df/dp for every parameter, in
/// the order of `ModelID.parameterNames`.
public protocol FitModel {
    associatedtype Lane: FitLane
    static var id: ModelID { get }
    /// The number of parameters, as a literal (equal to `id.parameterCount`; a test checks), so
    /// that loops over parameters unroll and their accumulators stay in registers.
    static var parameterCount: Int { get }
    init(parameters: UnsafePointer<Lane>)
    /// The model with its batch's spline (`FitBatch.spline`): the spline models read their
    /// coefficients from it; the others ignore it (the default calls `init(parameters:)`).
    init(parameters: UnsafePointer<Lane>, spline: SplineTable?)
    /// The value at (x, y) — y is unused by curve models — and its derivatives in `derivatives[0..<parameterCount]`.
    func evaluate(x: Lane, y: Lane, derivatives: inout ParameterLanes<Lane>) -> Lane

    /// Separable grid models (the axis-aligned Gaussians) factor into a part that depends on the
    /// column only and a part that depends on the row only. The SIMD backend computes those once
    /// per column and once per row per pass, so a pixel costs a few multiplications instead of an
    /// exp. Other models take the defaults: the terms are just x and y.
    associatedtype ColumnTerms = Lane
    associatedtype RowTerms = Lane
    func columnTerms(x: Lane) -> ColumnTerms
    func rowTerms(y: Lane) -> RowTerms
    /// The same value and derivatives as `evaluate(x:y:)`, from the precomputed terms.
    func evaluate(column: ColumnTerms, row: RowTerms, derivatives: inout ParameterLanes<Lane>) -> Lane
}

extension FitModel {
    @inlinable @inline(__always)
    public init(parameters: UnsafePointer<Lane>, spline: SplineTable?) { self.init(parameters: parameters) }
}

extension FitModel where ColumnTerms == Lane, RowTerms == Lane {
    @inlinable @inline(__always) public func columnTerms(x: Lane) -> Lane { x }
    @inlinable @inline(__always) public func rowTerms(y: Lane) -> Lane { y }
    @inlinable @inline(__always)
    public func evaluate(column: Lane, row: Lane, derivatives: inout ParameterLanes<Lane>) -> Lane {
        evaluate(x: column, y: row, derivatives: &derivatives)
    }
}

/// Something that runs with a model type specialised for its lane type: a solver, a test.
public protocol ModelVisitor {
    associatedtype Lane: FitLane
    associatedtype Output
    func visit<Model: FitModel>(_ model: Model.Type) throws -> Output where Model.Lane == Lane
}

extension ModelID {
    /// Hands `visitor` the model type of this id. This is the one place a model id becomes a
    /// type, so every solver dispatches through it and is specialised for each model.
    @inlinable
    public func dispatch<Visitor: ModelVisitor>(to visitor: Visitor) throws -> Visitor.Output {
        typealias L = Visitor.Lane
        switch self {
        case .gauss1D: return try visitor.visit(Gauss1DModel<L>.self)
        case .gauss2D: return try visitor.visit(Gauss2DModel<L>.self)
        case .gauss2DElliptic: return try visitor.visit(Gauss2DEllipticModel<L>.self)
        case .gauss2DRotated: return try visitor.visit(Gauss2DRotatedModel<L>.self)
        case .cauchy2DElliptic: return try visitor.visit(Cauchy2DEllipticModel<L>.self)
        case .gauss2DPixelated: return try visitor.visit(Gauss2DPixelatedModel<L>.self)
        case .linear1D: return try visitor.visit(Linear1DModel<L>.self)
        case .fletcherPowellHelix: return try visitor.visit(FletcherPowellHelixModel<L>.self)
        case .brownDennis: return try visitor.visit(BrownDennisModel<L>.self)
        case .spline1D: return try visitor.visit(Spline1DModel<L>.self)
        case .spline2D: return try visitor.visit(Spline2DModel<L>.self)
        case .spline3D: return try visitor.visit(Spline3DModel<L>.self)
        case .kinetics1: return try visitor.visit(KineticsModel<L, OneExponential>.self)
        case .kinetics2: return try visitor.visit(KineticsModel<L, TwoExponentials>.self)
        case .kinetics3: return try visitor.visit(KineticsModel<L, ThreeExponentials>.self)
        case .kinetics4: return try visitor.visit(KineticsModel<L, FourExponentials>.self)
        case .kinetics1Artifact: return try visitor.visit(KineticsModel<L, WithArtifact<OneExponential>>.self)
        case .kinetics2Artifact: return try visitor.visit(KineticsModel<L, WithArtifact<TwoExponentials>>.self)
        case .kinetics3Artifact: return try visitor.visit(KineticsModel<L, WithArtifact<ThreeExponentials>>.self)
        case .kinetics4Artifact: return try visitor.visit(KineticsModel<L, WithArtifact<FourExponentials>>.self)
        default: throw FitError.backendUnavailable("model \(name) has no compiled Swift model (only the built-in models do)")
        }
    }
}
