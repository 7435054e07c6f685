/// Batches of simulated fits drawn from a model itself, with known truth: for tests, benchmarks
/// and the C ABI's examples. (Whole TAM stacks come from `Simulation.TAMSimulator`.)
public struct SyntheticFits: Sendable {
    public var batch: FitBatch
    /// fitCount x parameterCount true values.
    public var truth: [Double]

    /// Draws `count` fits: each fit's true parameters from `draw`, its data from the model plus
    /// `noise`. With `startError` set, start values are the truth scaled by a random factor
    /// 1 ± U(startError) per parameter (positions shifted by that fraction of the width instead).
    public static func make(model: ModelID, count: Int, coordinates: FitCoordinates, pointCount: Int,
                            noise: NoiseModel, seed: UInt64, startError: ClosedRange<Double>? = nil, spline: SplineTable? = nil,
                            draw: (inout SeededRandom) -> [Double]) throws -> SyntheticFits {
        var random = SeededRandom(seed: seed)
        let p = model.parameterCount
        var data = [Float](repeating: 0, count: count * pointCount)
        var truth = [Double](repeating: 0, count: count * p)
        var starts: [Double]? = startError == nil ? nil : [Double](repeating: 0, count: count * p)
        for fit in 0..<count {
            let parameters = draw(&random)
            precondition(parameters.count == p, "draw must return \(p) parameters for \(model.name)")
            let values = try ModelEvaluation.evaluate(model, parameters: parameters, coordinates: coordinates,
                                                      pointCount: pointCount, fit: fit, spline: spline).values
            for k in 0..<pointCount { data[fit * pointCount + k] = Float(noise.sample(mean: values[k], random: &random)) }
            for j in 0..<p { truth[fit * p + j] = parameters[j] }
            if let error = startError {
                let widthIndex = model.signFreeWidths.first
                for j in 0..<p {
                    let fraction = random.uniform(error) * (random.uniform() < 0.5 ? -1 : 1)
                    let isPosition = j == model.positionParameters.x || j == model.positionParameters.y
                    if isPosition, let w = widthIndex { starts![fit * p + j] = parameters[j] + fraction * parameters[w] }
                    // A spline's shift: that fraction of a few intervals.
                    else if isPosition { starts![fit * p + j] = parameters[j] + fraction * 3 }
                    else { starts![fit * p + j] = parameters[j] * (1 + fraction) }
                }
            }
        }
        var batch = FitBatch(model: model, fitCount: count, pointCount: pointCount, data: data, coordinates: coordinates, spline: spline)
        batch.initialParameters = starts
        return SyntheticFits(batch: batch, truth: truth)
    }

    /// The benchmark workload of docs/reference.md §5 for the isotropic Gaussian: A ~ U(500, 1000),
    /// B ~ U(10, 100), sigma ~ U(1.5, 3) px, centre within ±1 px of the ROI centre, Poisson noise,
    /// start values 10–20 % off.
    public static func gauss2DBenchmark(size: Int, count: Int, seed: UInt64) throws -> SyntheticFits {
        let centre = Double(size - 1) / 2
        return try make(model: .gauss2D, count: count, coordinates: .grid(width: size, height: size),
                        pointCount: size * size, noise: .poisson, seed: seed, startError: 0.1...0.2) { r in
            [r.uniform(500...1000), centre + r.uniform(-1...1), centre + r.uniform(-1...1), r.uniform(1.5...3), r.uniform(10...100)]
        }
    }
}
