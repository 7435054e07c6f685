import FitCore

/// One kernel the OpenCL backend builds, named by what selects it (model, estimator, weights,
/// precision, strategy, ROI) instead of by a batch of data. Its source is `KernelSource`'s for a
/// one-fit batch of that shape, so what offline compilers see (`femtofit kernels`,
/// scripts/gpu-kernel-report) is what a device would build.
public struct KernelVariant: Sendable, Hashable {
    /// A grid ROI (width x height pixels) or a curve of `points` x values shared by the batch.
    public enum Shape: Sendable, Hashable {
        case grid(width: Int, height: Int)
        case curve(points: Int)
    }

    public var model: ModelID
    public var estimator: Estimator
    public var weighted: Bool
    public var precision: FitPrecision
    public var strategy: KernelStrategy
    public var shape: Shape

    public init(model: ModelID, estimator: Estimator, weighted: Bool, precision: FitPrecision, strategy: KernelStrategy, shape: Shape) {
        self.model = model; self.estimator = estimator; self.weighted = weighted
        self.precision = precision; self.strategy = strategy; self.shape = shape
    }

    /// "15x15" for a grid, the point count for a curve.
    public var roi: String {
        switch shape {
        case let .grid(width, height): return "\(width)x\(height)"
        case let .curve(points): return "\(points)"
        }
    }
    public var pointCount: Int {
        switch shape {
        case let .grid(width, height): return width * height
        case let .curve(points): return points
        }
    }
    /// "float32" or "float64".
    public var precisionName: String { precision == .single ? "float32" : "float64" }
    public var weightingName: String { weighted ? "weighted" : "unweighted" }
    /// A file-safe name that says everything that selects the kernel, e.g.
    /// `gauss2d-lse-unweighted-float32-group-15x15`.
    public var name: String { "\(model.name)-\(estimator)-\(weightingName)-\(precisionName)-\(strategy.rawValue)-\(roi)" }

    /// Work-items per fit for `.perGroup` on a device with these limits, as `OpenCLSolver` picks
    /// it (`OpenCLSolver.groupSize`); 1 for `.perItem`.
    public func groupSize(requested: Int = 64, maxWorkGroupSize: Int, localMemoryBytes: UInt64) -> Int {
        guard strategy == .perGroup else { return 1 }
        return OpenCLSolver.groupSize(requested: requested, points: pointCount, parameters: model.parameterCount,
                                      realSize: precision == .single ? 4 : 8, maxWorkGroupSize: maxWorkGroupSize,
                                      localMemoryBytes: localMemoryBytes)
    }

    /// The program the backend would build for this variant at `groupSize` work-items per fit.
    public func source(groupSize: Int) throws -> KernelSource {
        let points = pointCount
        let coordinates: FitCoordinates
        switch shape {
        case let .grid(width, height): coordinates = .grid(width: width, height: height)
        case let .curve(points): coordinates = .sharedX((0..<points).map(Double.init))
        }
        var batch = FitBatch(model: model, fitCount: 1, pointCount: points, data: Array(repeating: 1, count: points),
                             coordinates: coordinates, weights: weighted ? Array(repeating: 1, count: points) : nil,
                             initialParameters: Array(repeating: 1, count: model.parameterCount))
        batch.spline = try batch.splineDimensions.map { try SyntheticSplines.psf(dimensions: $0) }
        let prepared = try PreparedFits(batch, settings: FitSettings(estimator: estimator))
        return try KernelSource(prepared: prepared, double: precision == .double, strategy: strategy, groupSize: groupSize)
    }

    /// The variants scripts/gpu-kernel-report compiles: every built-in model with both
    /// estimators, both strategies and each precision asked for, at the bench suite's ROIs
    /// (gauss2d at 5x5, 15x15 and 25x25, weighted and not; the spline models at 13x13 as
    /// spline3d's row; the other grid models at 15x15; curve models at 200 points, kinetics2's).
    public static func report(precisions: [FitPrecision] = FitPrecision.allCases,
                              strategies: [KernelStrategy] = KernelStrategy.allCases) -> [KernelVariant] {
        var variants: [KernelVariant] = []
        for model in ModelID.allCases {
            let shapes: [Shape]
            if model.geometry == .curve {
                shapes = [.curve(points: 200)]
            } else if model == .gauss2D {
                shapes = [5, 15, 25].map { .grid(width: $0, height: $0) }
            } else {
                let side = [ModelID.spline2D, .spline3D].contains(model) ? 13 : 15
                shapes = [.grid(width: side, height: side)]
            }
            let weightings = model == .gauss2D ? [false, true] : [false]
            for shape in shapes {
                for estimator in Estimator.allCases {
                    for weighted in weightings {
                        for precision in precisions {
                            for strategy in strategies {
                                variants.append(KernelVariant(model: model, estimator: estimator, weighted: weighted,
                                                              precision: precision, strategy: strategy, shape: shape))
                            }
                        }
                    }
                }
            }
        }
        return variants
    }
}
