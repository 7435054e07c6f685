import FitCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fitted spot widths as a fit would report them, drawn from a `TransportTruth` with a chosen
/// per-frame precision: for testing the analysis' recovery and the honesty of its intervals over
/// many repeats without fitting images each time (the image path is tested end to end apart).
public struct SimulatedWidths: Sendable {
    public var delays: [Double]
    public var sigmas: [Double]
    public var errors: [Double]

    /// The delay grid of the paper's measurements: three frames before time zero, 20 frames up to
    /// 400 fs (every 20 fs), then log-spaced frames to 1 ns (`logFrames` of them).
    public static func paperDelays(logFrames: Int = 40) -> [Double] {
        var d: [Double] = [-300, -200, -100]
        d += stride(from: 20.0, through: 400, by: 20).map { $0 }
        for i in 1...logFrames { d.append(400 * pow(1e6 / 400, Double(i) / Double(logFrames))) }
        return d
    }

    /// Widths at `delays` with Gaussian noise of standard deviation `precision` nm, which is also
    /// the standard error each frame reports. Frames before time zero carry no spot: NaN.
    public init(_ truth: TransportTruth, delays: [Double] = SimulatedWidths.paperDelays(), precision: Double, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        self.delays = delays
        sigmas = delays.map { t in t < 0 ? .nan : truth.sigma(at: t) + precision * random.normal() }
        errors = delays.map { t in t < 0 ? .nan : precision }
    }

    public var valid: [Bool] { sigmas.map { $0.isFinite } }
}
