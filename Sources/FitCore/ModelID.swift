/// The one registry of models. Raw values follow Gpufit's numbering where Gpufit has the model
/// (GAUSS_1D 0, GAUSS_2D 1, GAUSS_2D_ELLIPTIC 2, GAUSS_2D_ROTATED 3, CAUCHY_2D_ELLIPTIC 4,
/// LINEAR_1D 5), femtofit's own from 100 up. The C API numbers them 1000 + raw value, apart from
/// the Gpufit ids its gpufit_* entry points take (Sources/FemtofitABI/Models.swift). Parameter orders here are the orders every backend,
/// the CSV columns and the C ABI use; each model's file documents the formula.
public enum ModelID: Int32, CaseIterable, Sendable {
    case gauss1D = 0
    case gauss2D = 1
    case gauss2DElliptic = 2
    case gauss2DRotated = 3
    case cauchy2DElliptic = 4
    case linear1D = 5
    case gauss2DPixelated = 100
    case kinetics1 = 101
    case kinetics2 = 102
    case kinetics3 = 103
    case kinetics4 = 104
    /// The kinetics models with the coherent artefact (`KineticsModel`): 1 to 4 exponentials.
    case kinetics1Artifact = 111
    case kinetics2Artifact = 112
    case kinetics3Artifact = 113
    case kinetics4Artifact = 114

    /// How a fit's points get their coordinates.
    public enum Geometry: Sendable {
        /// A width x height ROI, row-major: point k = row * width + column sits at x = column, y = row.
        case grid
        /// A curve: each point has an x value (a delay for kinetics), shared by the batch or per fit.
        case curve
    }

    /// The name used on the command line and in output files.
    public var name: String {
        switch self {
        case .gauss1D: return "gauss1d"
        case .gauss2D: return "gauss2d"
        case .gauss2DElliptic: return "gauss2d-elliptic"
        case .gauss2DRotated: return "gauss2d-rotated"
        case .cauchy2DElliptic: return "cauchy2d-elliptic"
        case .linear1D: return "linear1d"
        case .gauss2DPixelated: return "gauss2d-pixelated"
        case .kinetics1: return "kinetics1"
        case .kinetics2: return "kinetics2"
        case .kinetics3: return "kinetics3"
        case .kinetics4: return "kinetics4"
        case .kinetics1Artifact: return "kinetics1-artifact"
        case .kinetics2Artifact: return "kinetics2-artifact"
        case .kinetics3Artifact: return "kinetics3-artifact"
        case .kinetics4Artifact: return "kinetics4-artifact"
        }
    }

    public init?(name: String) {
        guard let model = ModelID.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = model
    }

    public var geometry: Geometry {
        switch self {
        case .gauss2D, .gauss2DElliptic, .gauss2DRotated, .gauss2DPixelated, .cauchy2DElliptic: return .grid
        case .gauss1D, .linear1D: return .curve
        case .kinetics1, .kinetics2, .kinetics3, .kinetics4,
             .kinetics1Artifact, .kinetics2Artifact, .kinetics3Artifact, .kinetics4Artifact: return .curve
        }
    }

    /// Parameter names, in order.
    public var parameterNames: [String] {
        switch self {
        case .gauss1D: return ["amplitude", "x0", "sigma", "offset"]
        case .gauss2D, .gauss2DPixelated: return ["amplitude", "x0", "y0", "sigma", "offset"]
        case .gauss2DElliptic: return ["amplitude", "x0", "y0", "sigma_x", "sigma_y", "offset"]
        case .gauss2DRotated: return ["amplitude", "x0", "y0", "sigma_x", "sigma_y", "offset", "theta"]
        case .cauchy2DElliptic: return ["amplitude", "x0", "y0", "gamma_x", "gamma_y", "offset"]
        case .linear1D: return ["offset", "slope"]
        case .kinetics1, .kinetics2, .kinetics3, .kinetics4,
             .kinetics1Artifact, .kinetics2Artifact, .kinetics3Artifact, .kinetics4Artifact:
            var names: [String] = []
            for c in 1...exponentialCount { names += ["amplitude_\(c)", "tau_\(c)"] }
            names += ["t0", "irf_sigma", "offset"]
            return hasCoherentArtifact ? names + ["artifact_0", "artifact_1", "artifact_2"] : names
        }
    }

    @inlinable
    public var parameterCount: Int {
        switch self {
        case .gauss1D: return 4
        case .gauss2D, .gauss2DPixelated: return 5
        case .gauss2DElliptic, .cauchy2DElliptic: return 6
        case .gauss2DRotated: return 7
        case .linear1D: return 2
        case .kinetics1: return 5
        case .kinetics2: return 7
        case .kinetics3: return 9
        case .kinetics4: return 11
        case .kinetics1Artifact: return 8
        case .kinetics2Artifact: return 10
        case .kinetics3Artifact: return 12
        case .kinetics4Artifact: return 14
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
        switch self {
        case .gauss2D, .gauss2DElliptic, .gauss2DRotated, .gauss2DPixelated, .cauchy2DElliptic: return (1, 2)
        case .gauss1D: return (1, nil)
        default: return (nil, nil)
        }
    }

    /// Indices of the parameters that are lengths in pixels (scaled by a pixel size at the API edge).
    public var lengthParameters: [Int] {
        switch self {
        case .gauss2D, .gauss2DPixelated: return [1, 2, 3]
        case .gauss2DElliptic, .gauss2DRotated, .cauchy2DElliptic: return [1, 2, 3, 4]
        case .gauss1D: return [1, 2]
        default: return []
        }
    }

    /// Indices of widths whose sign the formula ignores (it uses only their square). They are
    /// reported as absolute values.
    public var signFreeWidths: [Int] {
        switch self {
        case .gauss2D, .gauss2DPixelated: return [3]
        case .gauss2DElliptic, .gauss2DRotated, .cauchy2DElliptic: return [3, 4]
        case .gauss1D: return [2]
        default: return []
        }
    }

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
    public var needsContrast: Bool { self != .linear1D }
    /// Whether the 2D start rule (`GridStart`, `AutoStart.gaussian2D`) gives its start values.
    public var hasGridStart: Bool {
        switch self {
        case .gauss2D, .gauss2DPixelated, .gauss2DElliptic, .gauss2DRotated, .cauchy2DElliptic: return true
        default: return false
        }
    }
}
