#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Start values for a kinetics trace that survive real transient-absorption data (issue 17):
/// with time zero and the response width given (from `TimeZero`, or `AutoStart`'s rise rule),
/// every other parameter enters the model linearly once the lifetimes are chosen. So the lifetimes are picked greedily from a
/// log-spaced grid (the one that lowers the residual most, then the next, ...), and for each
/// choice the amplitudes, the offset and the coherent artefact's amplitudes are solved by linear
/// least squares. Amplitudes of either sign, a decay and a rise together, an artefact spike and a
/// long-lived step all come out with their signs and sizes, where a rule read off the trace's
/// extremum gets them wrong.
public struct KineticsStart: Sendable {
    public let delays: [Double]
    /// The lifetimes the greedy choice picks from, fs, ascending; the last is `longLived`.
    public let grid: [Double]
    /// A lifetime that is a step over the window (the `held` long-lived component).
    public let longLived: Double
    /// Where a start lifetime picked as long-lived goes in a free fit (inside the default bounds).
    public let longLivedStart: Double

    /// Grid points between the shortest and longest lifetime the delays sample.
    public static let gridCount = 16

    public init(delays: [Double]) {
        self.delays = delays
        let bounds = KineticsBounds(delays: delays)
        let step = bounds?.step ?? 1, span = max(bounds?.span ?? 1, step)
        let shortest = max(step / 2, KineticsBounds.floorPerStep * step * 2), longest = 2 * span
        var grid: [Double] = []
        for k in 0..<Self.gridCount {
            grid.append(shortest * pow(longest / shortest, Double(k) / Double(Self.gridCount - 1)))
        }
        longLived = KineticsBounds.longLivedSpans * span
        longLivedStart = 3 * span
        grid.append(longLived)
        self.grid = grid
    }

    /// The start of `model` for `trace` (one value per delay, NaN where missing), with time zero
    /// `t0` and response sigma `irf` held while the rest is chosen. Returns nil when the linear
    /// problems are singular (a flat or empty trace).
    public func estimate(model: ModelID, trace: [Double], t0: Double, irf: Double) -> [Double]? {
        let n = model.exponentialCount
        guard n > 0 else { return nil }
        let points = trace.indices.filter { trace[$0].isFinite }
        guard points.count > model.parameterCount else { return nil }
        // Columns: one per grid lifetime (unit amplitude), the offset, and the artefact's three.
        let artifactColumns = model.hasCoherentArtifact ? 3 : 0
        let columnCount = grid.count + 1 + artifactColumns
        var columns = [[Double]](repeating: [Double](repeating: 0, count: points.count), count: columnCount)
        var parameters: [Double] = [1, 1, t0, irf, 0]
        var derivatives = ParameterLanes<Double>(repeating: 0)
        for (g, tau) in grid.enumerated() {
            parameters[1] = tau
            let component = parameters.withUnsafeBufferPointer { KineticsModel<Double, OneExponential>(parameters: $0.baseAddress!) }
            for (k, i) in points.enumerated() { columns[g][k] = component.evaluate(x: delays[i], y: 0, derivatives: &derivatives) }
        }
        for k in points.indices { columns[grid.count][k] = 1 }
        if artifactColumns > 0 {
            for (k, i) in points.enumerated() {
                let u = (delays[i] - t0) / irf, e = exp(-u * u / 2)
                columns[grid.count + 1][k] = e
                columns[grid.count + 2][k] = -u * e
                columns[grid.count + 3][k] = (u * u - 1) * e
            }
        }
        // Gram matrix and right-hand side of every column, once.
        let (gram, rhs) = Self.normalEquations(columns: columns, y: points.map { trace[$0] })
        let fixed = [grid.count] + (0..<artifactColumns).map { grid.count + 1 + $0 }
        var chosen: [Int] = []
        var best: (chosen: [Int], solution: [Double])?
        for _ in 0..<n {
            var round: (index: Int, explained: Double, solution: [Double])?
            for g in grid.indices where !chosen.contains(g) {
                // Neighbouring grid lifetimes are nearly collinear; one component per neighbourhood.
                if chosen.contains(where: { abs($0 - g) < 2 }) { continue }
                let subset = chosen + [g] + fixed
                guard let solution = Self.solve(gram: gram, rhs: rhs, subset: subset) else { continue }
                // The residual sum of squares is y'y - b'x: maximise b'x.
                let explained = zip(subset, solution).reduce(0.0) { $0 + rhs[$1.0] * $1.1 }
                if explained > (round?.explained ?? -.infinity) { round = (g, explained, solution) }
            }
            guard let picked = round else { break }
            chosen.append(picked.index)
            best = (chosen, picked.solution)
        }
        guard let (picks, solution) = best, picks.count == n else { return nil }
        var start = [Double](repeating: 0, count: model.parameterCount)
        let order = picks.indices.sorted { grid[picks[$0]] < grid[picks[$1]] }
        for (c, k) in order.enumerated() {
            start[2 * c] = solution[k]
            start[2 * c + 1] = picks[k] == grid.count - 1 ? longLivedStart : grid[picks[k]]
        }
        start[2 * n] = t0
        start[2 * n + 1] = irf
        start[2 * n + 2] = solution[n]
        for j in 0..<artifactColumns { start[2 * n + 3 + j] = solution[n + 1 + j] }
        return start
    }

    /// The Gram matrix C^T C and right-hand side C^T y of `columns` (each one value per point of
    /// `y`): every subset's least-squares problem then solves from them (`solve`).
    public static func normalEquations(columns: [[Double]], y: [Double]) -> (gram: [[Double]], rhs: [Double]) {
        let count = columns.count
        var gram = [[Double]](repeating: [Double](repeating: 0, count: count), count: count)
        var rhs = [Double](repeating: 0, count: count)
        for a in 0..<count {
            for b in 0...a {
                var s = 0.0
                for k in y.indices { s += columns[a][k] * columns[b][k] }
                gram[a][b] = s; gram[b][a] = s
            }
            var s = 0.0
            for k in y.indices { s += columns[a][k] * y[k] }
            rhs[a] = s
        }
        return (gram, rhs)
    }

    /// Solves the normal equations of the columns `subset`; nil when singular.
    public static func solve(gram: [[Double]], rhs: [Double], subset: [Int]) -> [Double]? {
        let m = subset.count
        var packed = [Double](repeating: 0, count: m * (m + 1) / 2)
        var b = subset.map { rhs[$0] }
        // Scaled to unit diagonal, so columns of very different sizes factorise alike.
        let scale = subset.map { 1 / max(gram[$0][$0], .leastNormalMagnitude).squareRoot() }
        for i in 0..<m {
            for j in 0...i { packed[SymmetricSolve.packedIndex(i, j)] = gram[subset[i]][subset[j]] * scale[i] * scale[j] }
            b[i] *= scale[i]
        }
        let singular = packed.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: m) }
        guard !singular else { return nil }
        packed.withUnsafeBufferPointer { a in b.withUnsafeMutableBufferPointer { SymmetricSolve.solve(factorised: a.baseAddress!, $0.baseAddress!, n: m) } }
        let x = zip(b, scale).map { $0 * $1 }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
