#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A number with its uncertainty, as analysis.json writes every number: the value, its standard
/// error and a 95 % interval. Quantities that must be positive (diffusivities, lengths, times)
/// take their interval on a log scale, so it never crosses zero and is as skewed as a ratio is.
public struct Estimate: Sendable, Equatable, Codable {
    public var value: Double
    public var stderr: Double
    public var ci95: [Double]

    public init(value: Double, stderr: Double, ci95: [Double]) {
        self.value = value; self.stderr = stderr; self.ci95 = ci95
    }

    /// value ± 1.96 stderr.
    public static func symmetric(_ value: Double, stderr: Double) -> Estimate {
        Estimate(value: value, stderr: stderr, ci95: [value - 1.96 * stderr, value + 1.96 * stderr])
    }

    /// value × exp(± 1.96 stderr / value): the delta-method interval of ln(value).
    public static func positive(_ value: Double, stderr: Double) -> Estimate {
        guard value > 0, stderr.isFinite else { return symmetric(value, stderr: stderr) }
        let f = exp(1.96 * stderr / value)
        return Estimate(value: value, stderr: stderr, ci95: [value / f, value * f])
    }

    /// A finite value with a finite, non-negative error, a finite interval, and an error that is
    /// not absurd (at most a thousand times the value's size).
    public var isUsable: Bool {
        value.isFinite && stderr.isFinite && stderr >= 0 && ci95.count == 2 && ci95.allSatisfy(\.isFinite)
            && stderr <= 1e3 * abs(value)
    }

    /// "value ± stderr" for people, to `digits` decimals; where the error is not a number, the
    /// value with "(no error)", and where the value is not one either, "not measured": never a
    /// value beside "± nan".
    public func printed(digits: Int = 1) -> String {
        guard value.isFinite else { return "not measured" }
        let f = "%.\(digits)f"
        guard stderr.isFinite, stderr >= 0 else { return String(format: f, value) + " (no error)" }
        return String(format: "\(f) ± \(f)", value, stderr)
    }

    public func contains(_ truth: Double) -> Bool { ci95.count == 2 && ci95[0] <= truth && truth <= ci95[1] }

    /// The estimate scaled by a constant (unit changes, Einstein's relation).
    public func scaled(by factor: Double) -> Estimate {
        let bounds = ci95.map { $0 * factor }
        return Estimate(value: value * factor, stderr: stderr * abs(factor), ci95: factor >= 0 ? bounds : bounds.reversed())
    }
}

/// First-order (delta-method) propagation of a fit's covariance into a derived quantity.
enum Propagation {
    /// Standard error of `f(parameters)`, with a central-difference gradient.
    static func standardError(of f: ([Double]) -> Double, at p: [Double], covariance: [[Double]]) -> Double {
        let g = p.indices.map { i -> Double in
            let h = 1e-5 * max(abs(p[i]), covariance[i][i].squareRoot(), 1e-8)
            var up = p, down = p
            up[i] += h; down[i] -= h
            return (f(up) - f(down)) / (2 * h)
        }
        var v = 0.0
        for i in p.indices { for j in p.indices { v += g[i] * covariance[i][j] * g[j] } }
        return max(v, 0).squareRoot()
    }
}
