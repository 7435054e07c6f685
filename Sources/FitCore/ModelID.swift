/// A model's id: a key into the descriptor table (`ModelDescriptor`), which holds everything
/// femtofit knows about the model. It is a struct, not a closed enum, so that models registered
/// at run time (compiled from text, issue 20) can get ids of their own beside the built-in ones;
/// code that switches over models therefore has a `default`. The built-in ids follow Gpufit's
/// numbering where Gpufit has the model (GAUSS_1D 0 ... LINEAR_1D 5), femtofit's own from 100
/// up; the C API numbers them 1000 + raw value. Parameter orders are the orders every backend,
/// the CSV columns and the C ABI use; each model's file documents the formula.
public struct ModelID: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: Int32

    /// The id `rawValue` when a descriptor has it, else nil.
    public init?(rawValue: Int32) {
        guard ModelDescriptor.withID(rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    /// A built-in id, known to have a descriptor.
    @usableFromInline init(builtIn rawValue: Int32) { self.rawValue = rawValue }
    /// A runtime model's id, known to have a descriptor (`RuntimeModels`).
    init(registered rawValue: Int32) { self.rawValue = rawValue }

    @inlinable public static var gauss1D: ModelID { ModelID(builtIn: 0) }
    @inlinable public static var gauss2D: ModelID { ModelID(builtIn: 1) }
    @inlinable public static var gauss2DElliptic: ModelID { ModelID(builtIn: 2) }
    @inlinable public static var gauss2DRotated: ModelID { ModelID(builtIn: 3) }
    @inlinable public static var cauchy2DElliptic: ModelID { ModelID(builtIn: 4) }
    @inlinable public static var linear1D: ModelID { ModelID(builtIn: 5) }
    /// Gpufit's test functions (`FletcherPowellHelixModel`, `BrownDennisModel`): start values must be given.
    @inlinable public static var fletcherPowellHelix: ModelID { ModelID(builtIn: 6) }
    @inlinable public static var brownDennis: ModelID { ModelID(builtIn: 7) }
    /// Gpufit's cubic-spline templates (`Spline1DModel` ...): the batch carries the coefficients
    /// (`FitBatch.spline`) and start values must be given.
    @inlinable public static var spline1D: ModelID { ModelID(builtIn: 8) }
    @inlinable public static var spline2D: ModelID { ModelID(builtIn: 9) }
    @inlinable public static var spline3D: ModelID { ModelID(builtIn: 10) }
    @inlinable public static var gauss2DPixelated: ModelID { ModelID(builtIn: 100) }
    @inlinable public static var kinetics1: ModelID { ModelID(builtIn: 101) }
    @inlinable public static var kinetics2: ModelID { ModelID(builtIn: 102) }
    @inlinable public static var kinetics3: ModelID { ModelID(builtIn: 103) }
    @inlinable public static var kinetics4: ModelID { ModelID(builtIn: 104) }
    /// The kinetics models with the coherent artefact (`KineticsModel`): 1 to 4 exponentials.
    @inlinable public static var kinetics1Artifact: ModelID { ModelID(builtIn: 111) }
    @inlinable public static var kinetics2Artifact: ModelID { ModelID(builtIn: 112) }
    @inlinable public static var kinetics3Artifact: ModelID { ModelID(builtIn: 113) }
    @inlinable public static var kinetics4Artifact: ModelID { ModelID(builtIn: 114) }

    /// The built-in models, in the descriptor table's order.
    public static let allCases: [ModelID] = ModelDescriptor.builtIn.map { ModelID(builtIn: $0.id) }

    /// Whether this is one of the built-in models, which have compiled Swift models and kernels.
    public var isBuiltIn: Bool { rawValue < RuntimeModels.firstID }
    /// Whether this is a model defined at run time (`RuntimeModels`), registered or released.
    public var isRuntime: Bool { rawValue >= RuntimeModels.firstID }
    /// The runtime model of this id, while it is registered.
    public var runtimeModel: RuntimeModel? { isRuntime ? RuntimeModels.model(rawValue) : nil }

    /// The model's name, as users type it.
    public var description: String { name }

    /// How a fit's points get their coordinates.
    public enum Geometry: Sendable {
        /// A width x height ROI, row-major: point k = row * width + column sits at x = column, y = row.
        case grid
        /// A curve: each point has an x value (a delay for kinetics), shared by the batch or per fit.
        case curve
    }

    /// The name used on the command line and in output files.
    public var name: String { descriptor.name }

    public init?(name: String) {
        guard let descriptor = ModelDescriptor.named(name) else { return nil }
        self.init(builtIn: descriptor.id)
    }

    public var geometry: Geometry { descriptor.geometry }

    /// Parameter names, in order.
    public var parameterNames: [String] { descriptor.parameterNames }

    /// The parameter count: a literal per built-in model, for code that wants it folded (equal to
    /// the descriptor's; `ModelDescriptorTests` checks), else the descriptor's.
    @inlinable
    public var parameterCount: Int {
        switch self {
        case .gauss1D: return 4
        case .gauss2D, .gauss2DPixelated: return 5
        case .gauss2DElliptic, .cauchy2DElliptic: return 6
        case .gauss2DRotated: return 7
        case .linear1D: return 2
        case .fletcherPowellHelix: return 3
        case .brownDennis: return 4
        case .spline1D: return 3
        case .spline2D: return 4
        case .spline3D: return 5
        case .kinetics1: return 5
        case .kinetics2: return 7
        case .kinetics3: return 9
        case .kinetics4: return 11
        case .kinetics1Artifact: return 8
        case .kinetics2Artifact: return 10
        case .kinetics3Artifact: return 12
        case .kinetics4Artifact: return 14
        default: return descriptor.parameterCount
        }
    }

    /// Number of exponential components of a kinetics model (0 for the others).
    public var exponentialCount: Int {
        switch self {
        case .kinetics1, .kinetics1Artifact: return 1
        case .kinetics2, .kinetics2Artifact: return 2
        case .kinetics3, .kinetics3Artifact: return 3
        case .kinetics4, .kinetics4Artifact: return 4
        default: return 0
        }
    }

    /// Whether a kinetics model has the coherent-artefact term (three more parameters after the
    /// offset: the amplitudes of the response Gaussian and of its first and second derivatives).
    public var hasCoherentArtifact: Bool {
        switch self {
        case .kinetics1Artifact, .kinetics2Artifact, .kinetics3Artifact, .kinetics4Artifact: return true
        default: return false
        }
    }

    /// The most exponentials a kinetics model has.
    public static let maximumExponentials = 4

    /// The kinetics model with `count` exponentials (1 to 4), with or without the coherent artefact.
    @inlinable public static func kinetics(exponentials count: Int, coherentArtifact: Bool = false) -> ModelID? {
        switch (count, coherentArtifact) {
        case (1, false): return .kinetics1
        case (2, false): return .kinetics2
        case (3, false): return .kinetics3
        case (4, false): return .kinetics4
        case (1, true): return .kinetics1Artifact
        case (2, true): return .kinetics2Artifact
        case (3, true): return .kinetics3Artifact
        case (4, true): return .kinetics4Artifact
        default: return nil
        }
    }

    /// Indices of the parameters that are positions along x and y, which move with a ROI's origin.
    public var positionParameters: (x: Int?, y: Int?) {
        let row = descriptor
        return (row.xParameter, row.yParameter)
    }

    /// Indices of the parameters that are lengths in pixels (scaled by a pixel size at the API edge).
    public var lengthParameters: [Int] { descriptor.lengthParameters }

    /// Indices of widths whose sign the formula ignores (it uses only their square). They are
    /// reported as absolute values.
    public var signFreeWidths: [Int] { descriptor.signFreeWidths }

    /// Indices of parameters that only make sense positive (kinetics lifetimes and IRF width,
    /// whose sign the formula does not ignore). Where no lower bound is given they get
    /// `KineticsBounds`' floor, or `minimumPositiveValue` when the delays give none.
    public var positiveParameters: [Int] {
        let n = exponentialCount
        guard n > 0 else { return [] }
        return (0..<n).map { 2 * $0 + 1 } + [2 * n + 1]
    }

    /// The default lower bound of `positiveParameters`, in the units of x (fs for delays).
    public static let minimumPositiveValue = 1e-6

    /// Whether the model describes a peak above a baseline, so that a flat ROI or trace carries
    /// no information about it (flat data are then invalid input).
    public var needsContrast: Bool { descriptor.needsContrast }
    /// Whether the 2D start rule (`GridStart`, `AutoStart.gaussian2D`) gives its start values.
    public var hasGridStart: Bool { descriptor.startRule == .gridSpot }
}
