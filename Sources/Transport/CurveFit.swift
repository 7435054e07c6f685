#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Weighted nonlinear least squares in float64 for the analysis' own small fits (MSD regimes,
/// the disorder decay): Levenberg–Marquardt with Marquardt's diagonal scaling, a central-difference
/// or analytic Jacobian and box bounds. The batch engine fits millions of image models; these are a handful
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
    /// parameter whose lower and upper bounds are equal is held there. The Jacobian is taken by
    /// central differences.
    /// Returns nil when the normal matrix is singular at the solution (a parameter the data do not
    /// constrain) or the model gives non-finite values everywhere it is tried.
    public static func fit(x: [Double], y: [Double], sigma: [Double], start: [Double],
                           lower: [Double]? = nil, upper: [Double]? = nil, maxIterations: Int = 300,
                           model: ([Double], Double) -> Double) -> Result? {
        let n = x.count, p = start.count
        precondition(y.count == n && sigma.count == n && p > 0)
        func normal(_ q: [Double], _ a: inout [Double], _ g: inout [Double]) {
            var jac = [[Double]](repeating: [Double](repeating: 0, count: n), count: p)
            for i in 0..<p {
                let h = 1e-6 * max(abs(q[i]), 1e-3)
                var up = q, down = q
                up[i] += h; down[i] -= h
                for k in 0..<n { jac[i][k] = (model(up, x[k]) - model(down, x[k])) / (2 * h) / sigma[k] }
            }
            let r = (0..<n).map { (y[$0] - model(q, x[$0])) / sigma[$0] }
            for i in 0..<p {
                for j in 0...i {
                    var s = 0.0
                    for k in 0..<n { s += jac[i][k] * jac[j][k] }
                    a[i * p + j] = s; a[j * p + i] = s
                }
                var s = 0.0
                for k in 0..<n { s += jac[i][k] * r[k] }
                g[i] = s
            }
        }
        return levenbergMarquardt(start: start, lower: lower, upper: upper, pointCount: n, maxIterations: maxIterations,
                                  chiSquare: { q in chiSquare(y, sigma) { model(q, x[$0]) } }, normal: normal)
    }

    /// The same fit for a model that gives its own gradient: `model(parameters, point, gradient)`
    /// returns the value at point `point` (an index into `y`) and, when `gradient` is non-nil,
    /// writes d value / d parameter into it. One model evaluation per point and iteration instead
    /// of 2p + 1, which is what makes `femtofit analyze` of 10^4 series take seconds.
    public static func fit(y: [Double], sigma: [Double], start: [Double], lower: [Double]? = nil, upper: [Double]? = nil,
                           maxIterations: Int = 300,
                           model: ([Double], Int, UnsafeMutableBufferPointer<Double>?) -> Double) -> Result? {
        let n = y.count, p = start.count
        precondition(sigma.count == n && p > 0)
        var gradient = [Double](repeating: 0, count: p)
        func normal(_ q: [Double], _ a: inout [Double], _ g: inout [Double]) {
            for i in 0..<(p * p) { a[i] = 0 }
            for i in 0..<p { g[i] = 0 }
            gradient.withUnsafeMutableBufferPointer { d in
                for k in 0..<n {
                    let w = 1 / sigma[k]
                    let r = (y[k] - model(q, k, d)) * w
                    for i in 0..<p {
                        let di = d[i] * w
                        g[i] += di * r
                        for j in 0...i { a[i * p + j] += di * d[j] * w }
                    }
                }
            }
            for i in 0..<p { for j in 0..<i { a[j * p + i] = a[i * p + j] } }
        }
        return levenbergMarquardt(start: start, lower: lower, upper: upper, pointCount: n, maxIterations: maxIterations,
                                  chiSquare: { q in chiSquare(y, sigma) { model(q, $0, nil) } }, normal: normal)
    }

    /// Sum of ((y - model(k)) / sigma)^2, infinite when not finite.
    static func chiSquare(_ y: [Double], _ sigma: [Double], _ model: (Int) -> Double) -> Double {
        var s = 0.0
        for k in y.indices { let r = (y[k] - model(k)) / sigma[k]; s += r * r }
        return s.isFinite ? s : .infinity
    }

    /// The Levenberg–Marquardt loop both entry points share: `chiSquare(q)` and `normal(q, a, g)`
    /// (JᵀWJ into the p x p row-major `a`, JᵀW r into `g`) define the problem. Every buffer is
    /// allocated once per fit, not per iteration: these fits run 10^6 times in one `analyze`.
    /// The fit has converged when a step lowers chi^2 by at most `tolerance` x max(1, chi^2).
    static func levenbergMarquardt(start: [Double], lower: [Double]?, upper: [Double]?, pointCount n: Int, maxIterations: Int,
                                   tolerance: Double = 1e-12,
                                   chiSquare: ([Double]) -> Double,
                                   normal: ([Double], inout [Double], inout [Double]) -> Void) -> Result? {
        let p = start.count
        let low = lower ?? [Double](repeating: -.infinity, count: p), high = upper ?? [Double](repeating: .infinity, count: p)
        // Parameters with equal bounds are held: left out of the steps and of the covariance.
        let held = (0..<p).filter { lower != nil && upper != nil && low[$0] == high[$0] }
        var a = [Double](repeating: 0, count: p * p), g = [Double](repeating: 0, count: p)
        var pinned: [Int] = []
        /// The normal equations at `q` with the held parameters taken out and, for a step,
        /// (`pinning`) those on a bound that the descent direction pushes against: a step would only
        /// clip them, and clipped steps crawl for hundreds of iterations.
        func holdingNormal(_ q: [Double], pinning: Bool = false) {
            normal(q, &a, &g)
            pinned.removeAll(keepingCapacity: true)
            if pinning {
                for i in 0..<p where low[i] != high[i] && ((q[i] <= low[i] && g[i] <= 0) || (q[i] >= high[i] && g[i] >= 0)) {
                    pinned.append(i)
                }
            }
            func hold(_ i: Int) {
                for j in 0..<p { a[i * p + j] = 0; a[j * p + i] = 0 }
                a[i * p + i] = 1
                g[i] = 0
            }
            held.forEach(hold)
            pinned.forEach(hold)
        }
        var q = (0..<p).map { min(max(start[$0], low[$0]), high[$0]) }
        var chi = chiSquare(q)
        guard chi.isFinite else { return nil }
        var damped = [Double](repeating: 0, count: p * p), step = [Double](repeating: 0, count: p), trial = q
        var lambda = 1e-3, converged = false
        for _ in 0..<maxIterations {
            holdingNormal(q, pinning: true)
            var improved = false
            while lambda < 1e12 {
                for i in 0..<(p * p) { damped[i] = a[i] }
                for i in 0..<p { damped[i * p + i] += lambda * max(a[i * p + i], 1e-300) }
                for i in 0..<p { step[i] = g[i] }
                guard DenseSymmetric.solveInPlace(&damped, &step, p) else { lambda *= 10; continue }
                for i in 0..<p { trial[i] = min(max(q[i] + step[i], low[i]), high[i]) }
                let trialChi = chiSquare(trial)
                if trialChi <= chi {
                    let change = chi - trialChi
                    swap(&q, &trial)
                    let previous = chi
                    chi = trialChi
                    lambda = max(lambda / 10, 1e-12)
                    improved = true
                    if change <= tolerance * max(1, previous) { converged = true }
                    break
                }
                lambda *= 10
            }
            if !improved { converged = true }
            if converged { break }
        }
        holdingNormal(q)
        let square = (0..<p).map { i in (0..<p).map { j in a[i * p + j] } }
        guard var covariance = DenseSymmetric.inverse(square) else { return nil }
        for i in held { covariance[i][i] = 0 }
        return Result(parameters: q, covariance: covariance, chiSquare: chi, pointCount: n, converged: converged, heldCount: held.count)
    }
}

/// Cholesky solves and inverses of small symmetric positive-definite matrices, in float64.
enum DenseSymmetric {
    /// Solves a x = b for the p x p row-major `a` in place: `a` becomes its Cholesky factor and
    /// `b` the solution. False when `a` is not positive definite.
    static func solveInPlace(_ aArray: inout [Double], _ bArray: inout [Double], _ p: Int) -> Bool {
        precondition(aArray.count >= p * p && bArray.count >= p)
        return aArray.withUnsafeMutableBufferPointer { a in
            bArray.withUnsafeMutableBufferPointer { b in
                for i in 0..<p {
                    for j in 0...i {
                        var s = a[i * p + j]
                        for k in 0..<j { s -= a[i * p + k] * a[j * p + k] }
                        if i == j {
                            guard s > 0, s.isFinite else { return false }
                            a[i * p + i] = s.squareRoot()
                        } else {
                            a[i * p + j] = s / a[j * p + j]
                        }
                    }
                }
                for i in 0..<p {
                    for k in 0..<i { b[i] -= a[i * p + k] * b[k] }
                    b[i] /= a[i * p + i]
                }
                for i in stride(from: p - 1, through: 0, by: -1) {
                    for k in (i + 1)..<p { b[i] -= a[k * p + i] * b[k] }
                    b[i] /= a[i * p + i]
                }
                return true
            }
        }
    }

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
        return solve(factor: l, b)
    }

    /// Solves l lᵀ x = b for the Cholesky factor `l`.
    static func solve(factor l: [[Double]], _ b: [Double]) -> [Double] {
        let n = b.count
        var z = b
        for i in 0..<n { for k in 0..<i { z[i] -= l[i][k] * z[k] }; z[i] /= l[i][i] }
        for i in stride(from: n - 1, through: 0, by: -1) { for k in (i + 1)..<n { z[i] -= l[k][i] * z[k] }; z[i] /= l[i][i] }
        return z
    }

    /// The inverse, symmetrised; nil when `a` is not positive definite. Factored once.
    static func inverse(_ a: [[Double]]) -> [[Double]]? {
        let n = a.count
        guard let l = cholesky(a) else { return nil }
        let columns = (0..<n).map { j in
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            return solve(factor: l, e)
        }
        return (0..<n).map { i in (0..<n).map { j in (columns[j][i] + columns[i][j]) / 2 } }
    }
}
