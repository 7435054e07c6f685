/// Solving the small symmetric systems of Levenberg–Marquardt, lane by lane and branch-free:
/// an LDL^T factorisation (no square roots, which do not vectorise) of a matrix kept as its
/// packed lower triangle, element (i, j) with i >= j at i (i + 1) / 2 + j.
public enum SymmetricSolve {
    @inlinable @inline(__always)
    public static func packedIndex(_ i: Int, _ j: Int) -> Int { i * (i + 1) / 2 + j }

    /// Factorises `a` (n x n, packed) in place into L (below the diagonal) and D (on it).
    /// Returns the lanes where a pivot was not positive (or not finite): those are singular.
    /// With `zeroPivotOnly`, only an exactly zero (or non-finite) pivot counts: Gpufit's test for
    /// the damped system of a step (its Gauss–Jordan elimination stops only at a zero pivot), used
    /// under `ConvergenceRule.gpufit`.
    @inlinable @inline(__always)
    public static func factorise<Lane: FitLane>(_ a: UnsafeMutablePointer<Lane>, n: Int, zeroPivotOnly: Bool = false) -> Lane.Mask {
        var singular = Lane.allFalse
        for j in 0..<n {
            var pivot = a[packedIndex(j, j)]
            for k in 0..<j {
                let l = a[packedIndex(j, k)]
                pivot = pivot - l * l * a[packedIndex(k, k)]
            }
            a[packedIndex(j, j)] = pivot
            // `pivot > 0` is false for NaN, so NaN pivots count as singular too.
            let refused = zeroPivotOnly ? Lane.and(Lane.not(Lane.lessThan(Lane(0), pivot)), Lane.not(Lane.lessThan(pivot, Lane(0))))
                : Lane.not(Lane.lessThan(Lane(0), pivot))
            singular = Lane.or(singular, refused)
            singular = Lane.or(singular, Lane.not(Lane.isFinite(pivot)))
            let inverse = Lane(1) / pivot
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[packedIndex(i, j)]
                for k in 0..<j { s = s - a[packedIndex(i, k)] * a[packedIndex(j, k)] * a[packedIndex(k, k)] }
                a[packedIndex(i, j)] = s * inverse
            }
        }
        return singular
    }

    /// Solves L D L^T x = b in place in `b`, with `a` as `factorise` left it.
    @inlinable @inline(__always)
    public static func solve<Lane: FitLane>(factorised a: UnsafePointer<Lane>, _ b: UnsafeMutablePointer<Lane>, n: Int) {
        for i in 0..<n {
            var s = b[i]
            for k in 0..<i { s = s - a[packedIndex(i, k)] * b[k] }
            b[i] = s
        }
        for i in 0..<n { b[i] = b[i] / a[packedIndex(i, i)] }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = b[i]
            for k in (i + 1)..<max(i + 1, n) { s = s - a[packedIndex(k, i)] * b[k] }
            b[i] = s
        }
    }

    /// The diagonal of the inverse of the factorised matrix, into `diagonal` (uses `work`, n values).
    @inlinable
    public static func inverseDiagonal<Lane: FitLane>(factorised a: UnsafePointer<Lane>, n: Int,
                                                      work: UnsafeMutablePointer<Lane>, diagonal: UnsafeMutablePointer<Lane>) {
        for i in 0..<n {
            for k in 0..<n { work[k] = Lane(k == i ? 1 : 0) }
            solve(factorised: a, work, n: n)
            diagonal[i] = work[i]
        }
    }

    /// The diagonal of H^-1 M H^-1 (the sandwich covariance), with H factorised in `a` and M the
    /// packed symmetric "meat". `columns` is scratch for n x n values.
    @inlinable
    public static func sandwichDiagonal<Lane: FitLane>(factorised a: UnsafePointer<Lane>, meat m: UnsafePointer<Lane>, n: Int,
                                                       columns: UnsafeMutablePointer<Lane>, diagonal: UnsafeMutablePointer<Lane>) {
        for i in 0..<n {
            let column = columns + i * n
            for k in 0..<n { column[k] = Lane(k == i ? 1 : 0) }
            solve(factorised: a, column, n: n)
        }
        for i in 0..<n {
            let column = columns + i * n
            var sum = Lane(0)
            for r in 0..<n {
                for c in 0..<n {
                    let element = r >= c ? m[packedIndex(r, c)] : m[packedIndex(c, r)]
                    sum = sum.adding(column[r] * element, times: column[c])
                }
            }
            diagonal[i] = sum
        }
    }
}
