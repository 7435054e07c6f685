import FitCore

/// The check run when a model is compiled: its symbolic derivatives against central finite
/// differences at random points (parameters in [0.5, 2], coordinates in [0, 3], where typical
/// models have values of order 1). A disagreement means a fault in the differentiation, and the
/// model is refused rather than fitted with wrong gradients.
public struct DerivativeCheck: Sendable, CustomStringConvertible {
    /// Points where the value and every derivative were finite, out of those tried.
    public let pointsChecked: Int
    public let pointsTried: Int
    /// The largest |analytic - numeric| / (|numeric| + scale), over points and parameters.
    public let worstDiscrepancy: Double
    public let worstParameter: String?

    public static let tolerance = 1e-5

    public var description: String {
        "derivatives against central differences at \(pointsChecked) of \(pointsTried) random points: worst discrepancy "
            + "\(worstDiscrepancy)" + (worstParameter.map { " (\($0))" } ?? "")
    }

    /// Checks `model` at `points` random points; throws when a derivative disagrees.
    public static func run(_ model: ModelExpression, points: Int = 8, seed: UInt64 = 0x5eed) throws -> DerivativeCheck {
        var random = SeededRandom(seed: seed)
        var checked = 0, worst = 0.0, worstName: String?
        for _ in 0..<points {
            let p = model.parameters.map { _ in random.uniform(0.5...2) }
            let c = model.coordinates.map { _ in random.uniform(0...3) }
            // Both forms: the CPU's (separated) and the one OpenCL computes point by point.
            let all = model.evaluateAll(parameters: p, coordinates: c)
            let value = all[model.value]
            let forms = [model.derivatives.map { all[$0] }, model.pointDerivatives.map { all[$0] }]
            guard value.isFinite, abs(all[model.pointValue] - value) <= 1e-9 * max(1, abs(value)),
                  forms.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { continue }
            var numeric: [Double] = []
            for j in 0..<p.count {
                let h = 1e-6 * max(1, abs(p[j]))
                var up = p, down = p
                up[j] += h; down[j] -= h
                numeric.append((model.evaluate(parameters: up, coordinates: c).value - model.evaluate(parameters: down, coordinates: c).value) / (2 * h))
            }
            guard numeric.allSatisfy(\.isFinite) else { continue }
            checked += 1
            let scale = max(abs(value), numeric.map(abs).max() ?? 0, 1e-12)
            for analytic in forms {
                for j in 0..<p.count {
                    let discrepancy = abs(analytic[j] - numeric[j]) / (abs(numeric[j]) + scale)
                    if discrepancy > worst { worst = discrepancy; worstName = model.parameters[j] }
                }
            }
        }
        let check = DerivativeCheck(pointsChecked: checked, pointsTried: points, worstDiscrepancy: worst, worstParameter: worstName)
        guard worst <= tolerance else {
            throw ExpressionError("the derivative by \(worstName ?? "?") disagrees with finite differences (\(check)): please report this model")
        }
        return check
    }
}
