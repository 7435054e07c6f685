import FitCore

/// Parameter replicates of a regime fit by parametric bootstrap: new widths drawn from the fitted
/// model with the frames' own errors (widened by the fit's reduced chi^2 when above 1), refitted
/// from the estimate. Numbers that hinge on a break's position (the band-like length, D_max,
/// persistence) are far from linear in the parameters when the breaks are few frames apart, and
/// the delta method's intervals then undercover; their spread over the replicates does not.
/// Seeded from the data, so one input always gives one answer.
public struct ParametricBootstrap: Sendable {
    public static let replicateCount = 200

    /// Replicates that refitted and kept every segment populated.
    public var replicates: [[Double]]

    init(_ fit: RegimeSegmentation.Candidate, delays t: [Double], sigmaSquaredError e: [Double], seed: UInt64) {
        let model = fit.model
        let inflation = max(1, fit.chiSquare / Double(max(t.count - fit.parameters.count, 1))).squareRoot()
        let positive = t.filter { $0 > 0 }
        var random = SeededRandom(seed: seed)
        var replicates: [[Double]] = []
        for _ in 0..<Self.replicateCount {
            let y = t.indices.map { model.sigmaSquared(fit.parameters, at: t[$0]) + inflation * e[$0] * random.normal() }
            if let r = RegimeSegmentation.fit(model, t, y, e, start: fit.parameters, positive: positive) {
                replicates.append(r.parameters)
            }
        }
        self.replicates = replicates
    }

    /// The estimate of a positive quantity: `f` at the fit, its standard error and 95 % interval
    /// from the spread of ln f over the replicates (robust: from the 16th–84th percentiles).
    /// nil when fewer than half the replicates refitted.
    func positiveEstimate(_ f: ([Double]) -> Double, at p: [Double]) -> Estimate? {
        let value = f(p)
        let logs = replicates.map { log(f($0)) }.filter { $0.isFinite }.sorted()
        guard value > 0, logs.count * 2 >= Self.replicateCount else { return nil }
        let spread = (logs[Int(0.84 * Double(logs.count - 1))] - logs[Int(0.16 * Double(logs.count - 1))]) / 2
        let f95 = exp(1.96 * spread)
        return Estimate(value: value, stderr: value * spread, ci95: [value / f95, value * f95])
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
