extension SplineTable {
    /// The Catmull–Rom spline through `samples`: a piecewise cubic that passes through every
    /// sample with slopes from its neighbours' central differences (continuous with its first
    /// derivatives; the end samples repeat beyond the edges). A template from a measured or
    /// modelled PSF, in the layout the spline models read.
    ///
    /// `samples` hold `shape` values (1 to 3 axes, each at least 2), x slowest:
    /// sample (i, j, k) at `(i * shape[1] + j) * shape[2] + k`. The spline has shape - 1 intervals
    /// per axis, sample (i, j, k) at spline position (i, j, k).
    public static func interpolating(samples: [Double], shape: [Int], sliceHeight: Int? = nil) throws -> SplineTable {
        let dimensions = shape.count
        guard (1...3).contains(dimensions), shape.allSatisfy({ $0 >= 2 }) else {
            throw FitError.invalidBatch("a spline interpolates 1 to 3 axes of at least 2 samples each (got \(shape))")
        }
        let n = shape + [Int](repeating: 1, count: 3 - dimensions)
        guard samples.count == n[0] * n[1] * n[2] else {
            throw FitError.invalidBatch("\(samples.count) samples given for a \(shape.map(String.init).joined(separator: " x ")) grid")
        }
        let intervals = (0..<3).map { $0 < dimensions ? n[$0] - 1 : 1 }
        // Catmull–Rom in the power basis: row a gives the t^a coefficient from P(-1), P(0), P(1), P(2).
        let basis: [[Double]] = [[0, 1, 0, 0], [-0.5, 0, 0.5, 0], [1, -2.5, 2, -0.5], [-0.5, 1.5, -1.5, 0.5]]
        // An axis the spline does not have keeps the sample: order 0 only, weight 1 on P(0).
        let unused: [[Double]] = [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
        let bases = (0..<3).map { $0 < dimensions ? basis : unused }
        let orders = (0..<3).map { $0 < dimensions ? 4 : 1 }
        func sample(_ i: Int, _ j: Int, _ k: Int) -> Double {
            let ci = min(max(i, 0), n[0] - 1), cj = min(max(j, 0), n[1] - 1), ck = min(max(k, 0), n[2] - 1)
            return samples[(ci * n[1] + cj) * n[2] + ck]
        }
        let per = orders.reduce(1, *)
        var coefficients = [Double](repeating: 0, count: intervals.reduce(per, *))
        var neighbourhood = [Double](repeating: 0, count: 64)
        for i in 0..<intervals[0] {
            for j in 0..<intervals[1] {
                for k in 0..<intervals[2] {
                    for r in 0..<4 { for s in 0..<4 { for t in 0..<4 {
                        neighbourhood[(r * 4 + s) * 4 + t] = sample(i - 1 + r, j - 1 + s, k - 1 + t)
                    } } }
                    let base = ((i * intervals[1] + j) * intervals[2] + k) * per
                    for a in 0..<orders[0] { for b in 0..<orders[1] { for c in 0..<orders[2] {
                        var sum = 0.0
                        for r in 0..<4 where bases[0][a][r] != 0 {
                            for s in 0..<4 where bases[1][b][s] != 0 {
                                for t in 0..<4 where bases[2][c][t] != 0 {
                                    sum += bases[0][a][r] * bases[1][b][s] * bases[2][c][t] * neighbourhood[(r * 4 + s) * 4 + t]
                                }
                            }
                        }
                        coefficients[base + (a * orders[1] + b) * orders[2] + c] = sum
                    } } }
                }
            }
        }
        return try SplineTable(dimensions: dimensions, intervals: Array(intervals.prefix(dimensions)),
                               coefficients: coefficients, sliceHeight: sliceHeight)
    }
}
