import FitCore
#if canImport(Glibc)
import Glibc
#endif

/// A gpufit call with every `parameters_to_fit` 0. Gpufit evaluates the model once at the start
/// values (moved into the constraints' box) and returns them with their chi-square, state
/// CONVERGED and 0 iterations, without an iteration; under MLE a model value below zero anywhere
/// makes the state NEG_CURVATURE_MLE, as in Gpufit's MLE estimator. Chi-square is Gpufit's:
/// sum w (f - z)^2 for LSE (w = 1 without weights), 2 sum (f - z - z ln(f / z)) for MLE (2 (f - z)
/// where z = 0), summed in float64. Like Gpufit, this path checks no data: a NaN gives a NaN chi-square.
struct GpufitFixedFits {
    let model: ModelID
    let pointCount: Int
    let estimator: Estimator
    let data: UnsafeMutablePointer<Float>
    let weights: UnsafeMutablePointer<Float>?
    let start: UnsafeMutablePointer<Float>
    /// Fit `fit`'s bounds on parameter `j` (infinite where there is none).
    let bounds: (_ fit: Int, _ j: Int) -> (lower: Float, upper: Float)
    /// The coordinates of a range of fits (as the chunked path builds them).
    let coordinates: (Range<Int>) -> FitCoordinates
    /// The spline models' coefficients (from user_info).
    let spline: SplineTable?

    static let negativeCurvatureMLE: Int32 = 3

    func evaluate(fitCount: Int, parameters: UnsafeMutablePointer<Float>, states: UnsafeMutablePointer<Int32>,
                  chiSquares: UnsafeMutablePointer<Float>, iterations: UnsafeMutablePointer<Int32>) {
        let p = model.parameterCount, m = pointCount
        for fit in 0..<fitCount {
            var values = [Double](repeating: 0, count: p)
            for j in 0..<p {
                let (lower, upper) = bounds(fit, j)
                let projected = min(max(start[fit * p + j], lower), upper)
                parameters[fit * p + j] = projected
                values[j] = Double(projected)
            }
            let curve = (try? ModelEvaluation.evaluate(model, parameters: values, coordinates: coordinates(fit..<(fit + 1)),
                                                       pointCount: m, spline: spline).values) ?? [Double](repeating: .nan, count: m)
            var sum = 0.0
            var state: Int32 = 0
            for k in 0..<m {
                let f = Double(Float(curve[k])), z = Double(data[fit * m + k])
                switch estimator {
                case .leastSquares:
                    sum += (f - z) * (f - z) * (weights.map { Double($0[fit * m + k]) } ?? 1)
                case .poissonMLE:
                    if f < 0 { state = Self.negativeCurvatureMLE }
                    sum += z != 0 ? 2 * (f - z - z * log(f / z)) : 2 * (f - z)
                }
            }
            states[fit] = state
            chiSquares[fit] = Float(sum)
            iterations[fit] = 0
        }
    }
}
