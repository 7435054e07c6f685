import TAMData
import FitCore
import FitEngine

/// Time zero of a series, from the rise of its signal: the frame-summed ΔT/T against delay is
/// fitted (float64 reference solver) with the engine's one-exponential kinetics model, a step
/// convolved with a Gaussian instrument response, and its t0 is time zero for that series. Each
/// probe wavelength has its own series and so its own t0: that is the chirp correction.
///
/// A t0 is used only when the fit converged and pins it to `maximumError` fs (one standard
/// error): a delay grid with few frames around the rise cannot say where zero is, and moving
/// every delay by a guess would bias the earliest, band-like frames most.
public enum TimeZero {
    public struct Estimate: Sendable, Equatable {
        public var t0: Double
        public var standardError: Double
        /// Gaussian sigma of the instrument response, fs.
        public var irfSigma: Double
        public var converged: Bool
    }

    public static let maximumError = 10.0

    /// The kinetics fit of `signal` (one value per delay), or nil when it cannot be made (fewer
    /// than 6 finite points, no rise).
    public static func estimate(delays: [Double], signal: [Double]) throws -> Estimate? {
        let points = delays.indices.filter { signal[$0].isFinite }
        guard points.count >= 6 else { return nil }
        let t = points.map { delays[$0] }, y = points.map { signal[$0] }
        guard let peak = y.indices.max(by: { y[$0] < y[$1] }), y[peak] > 0 else { return nil }
        let before = t.indices.filter { t[$0] < 0 }
        let baseline = before.isEmpty ? 0 : before.map { y[$0] }.reduce(0, +) / Double(before.count)
        let half = baseline + (y[peak] - baseline) / 2
        let rise = t.indices.first { y[$0] >= half } ?? peak
        let step = zip(t.dropFirst(), t).map { $0 - $1 }.filter { $0 > 0 }.min() ?? 1
        let start = [y[peak] - baseline, max((t.last! - t[rise]) / 3, 10 * step), t[rise], max(step, 1), baseline]
        let lower = [-Double.infinity, step / 10, t.first!, 0.1, -Double.infinity]
        let upper = [Double.infinity, Double.infinity, t.last!, t.last! - t.first!, Double.infinity]
        let batch = FitBatch(model: .kinetics1, fitCount: 1, pointCount: t.count, data: y.map { Float($0) },
                             coordinates: .sharedX(t), initialParameters: start, lowerBounds: lower, upperBounds: upper)
        let result = try FitEngine(backend: ReferenceBackend()).fit(batch, settings: FitSettings(tolerance: 1e-10, maxIterations: 200))
        let p = result.parameters(of: 0), e = result.standardErrors(of: 0)
        return Estimate(t0: p[2], standardError: e[2], irfSigma: p[3], converged: result.state(0) == .converged)
    }

    /// Whether `estimate` is good enough to move the delays by.
    public static func isUsable(_ estimate: Estimate?) -> Bool {
        guard let estimate else { return false }
        return estimate.converged && estimate.standardError.isFinite && estimate.standardError <= maximumError
    }
}
