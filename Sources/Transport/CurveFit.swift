#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Weighted nonlinear least squares in float64 for the analysis' own small fits (MSD regimes,
/// the disorder decay): Levenberg–Marquardt with Marquardt's diagonal scaling, a central-difference
/// Jacobian and box bounds. The batch engine fits millions of image models; these are a handful
/// of fits of a few dozen points each, where a general closure model is worth more than speed.
public enum CurveFit {
    public struct Result: Sendable {
        public var parameters: [Double]
        /// (Jᵀ W J)⁻¹ at the solution: the covariance when the given sigmas are right.
        public var covariance: [[Double]]
        public var chiSquare: Double
        public var pointCount: Int
        public var converged: Bool
        /// Parameters held at their bounds (not fitted).
        public var heldCount = 0

        public var degreesOfFreedom: Int { pointCount - parameters.count + heldCount }
    }

    /// Fits `model(parameters, x)` to `y` with standard deviations `sigma`, from `start`; a
    /// parameter whose lower and upper bounds are equal is held there.
    /// Returns nil when the normal matrix is singular at the solution (a parameter the data do not
    /// constrain) or the model gives non-finite values everywhere it is tried.
    public static func fit(x: [Double], y: [Double], sigma: [Double], start: [Double],
                           lower: [Double]? = nil, upper: [Double]? = nil, maxIterations: Int = 300,
                           model: ([Double], Double) -> Double) -> Result? {
        let n = x.count, p = start.count
        precondition(y.count == n && sigma.count == n && p > 0)
        func clamp(_ v: [Double]) -> [Double] {
            v.indices.map { i in min(max(v[i], lower?[i] ?? -.infinity), upper?[i] ?? .infinity) }
        }
        func chiSquare(_ q: [Double]) -> Double {
            var s = 0.0
            for k in 0..<n { let r = (y[k] - model(q, x[k])) / sigma[k]; s += r * r }
            return s.isFinite ? s : .infinity
        }
        /// Normal matrix JᵀWJ and gradient JᵀW r.
        func normal(_ q: [Double]) -> (a: [[Double]], g: [Double]) {
            var jac = [[Double]](repeating: [Double](repeating: 0, count: n), count: p)
            for i in 0..<p {
                let h = 1e-6 * max(abs(q[i]), 1e-3)
                var up = q, down = q
                up[i] += h; down[i] -= h
                for k in 0..<n { jac[i][k] = (model(up, x[k]) - model(down, x[k])) / (2 * h) / sigma[k] }
            }
            var a = [[Double]](repeating: [Double](repeating: 0, count: p), count: p), g = [Double](repeating: 0, count: p)
            let r = (0..<n).map { (y[$0] - model(q, x[$0])) / sigma[$0] }
            for i in 0..<p {
                for j in 0...i {
                    var s = 0.0
                    for k in 0..<n { s += jac[i][k] * jac[j][k] }
                    a[i][j] = s; a[j][i] = s
                }
                var s = 0.0
                for k in 0..<n { s += jac[i][k] * r[k] }
                g[i] = s
            }
            return (a, g)
        }

        // Parameters with equal bounds are held: left out of the steps and of the covariance.
        let held = (0..<p).filter { i in lower.map { lo in upper.map { up in lo[i] == up[i] } ?? false } ?? false }
        func holding(_ m: (a: [[Double]], g: [Double])) -> (a: [[Double]], g: [Double]) {
            var (a, g) = m
            for i in held {
                for j in 0..<p { a[i][j] = 0; a[j][i] = 0 }
                a[i][i] = 1
                g[i] = 0
            }
            return (a, g)
        }
        var q = clamp(start), chi = chiSquare(q)
        guard chi.isFinite else { return nil }
        var lambda = 1e-3, converged = false
        for _ in 0..<maxIterations {
            let (a, g) = holding(normal(q))
            var improved = false
            while lambda < 1e12 {
                var damped = a
                for i in 0..<p { damped[i][i] += lambda * max(a[i][i], 1e-300) }
                guard let step = DenseSymmetric.solve(damped, g) else { lambda *= 10; continue }
                let trial = clamp(zip(q, step).map { $0 + $1 })
                let trialChi = chiSquare(trial)
                if trialChi <= chi {
                    let change = chi - trialChi
                    q = trial
                    let previous = chi
                    chi = trialChi
                    lambda = max(lambda / 10, 1e-12)
                    improved = true
                    if change <= 1e-12 * max(1, previous) { converged = true }
                    break
                }
                lambda *= 10
            }
            if !improved { converged = true }
            if converged { break }
        }
        let (a, _) = holding(normal(q))
        guard var covariance = DenseSymmetric.inverse(a) else { return nil }
        for i in held { covariance[i][i] = 0 }
        return Result(parameters: q, covariance: covariance, chiSquare: chi, pointCount: n, converged: converged, heldCount: held.count)
    }
}

/// Cholesky solves and inverses of small symmetric positive-definite matrices, in float64.
enum DenseSymmetric {
    static func cholesky(_ a: [[Double]]) -> [[Double]]? {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i][i] = s.squareRoot()
                } else {
                    l[i][j] = s / l[j][j]
                }
            }
        }
        return l
    }

    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        guard let l = cholesky(a) else { return nil }
        let n = b.count
        var z = b
        for i in 0..<n { for k in 0..<i { z[i] -= l[i][k] * z[k] }; z[i] /= l[i][i] }
        for i in stride(from: n - 1, through: 0, by: -1) { for k in (i + 1)..<n { z[i] -= l[k][i] * z[k] }; z[i] /= l[i][i] }
        return z
    }

    static func inverse(_ a: [[Double]]) -> [[Double]]? {
        let n = a.count
        var columns: [[Double]] = []
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            guard let c = solve(a, e) else { return nil }
            columns.append(c)
        }
        return (0..<n).map { i in (0..<n).map { j in (columns[j][i] + columns[i][j]) / 2 } }
    }
}
