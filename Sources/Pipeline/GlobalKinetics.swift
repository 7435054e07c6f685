import FitCore
import Foundation
import Transport

/// Global kinetics: every trace of a series (the wavelengths of a transient-absorption
/// measurement, the pixels of a map) shares its lifetimes, its response width and its time zero
/// (a polynomial in wavenumber: the chirp), while each trace keeps its own amplitudes (issue 17).
///
/// The amplitudes enter linearly, so they are solved per trace by linear least squares for every
/// trial of the shared parameters (variable projection, as pyglotaran does), and Levenberg–
/// Marquardt moves only the shared ones: ln tau_c, ln sigma and the chirp's coefficients. The
/// Jacobian is Kaufman's, -(I - P_i) (dC_i/dtheta) a_i for trace i's design matrix C_i (its
/// components' convolved decays, a constant and the artefact's three terms), projector P_i and
/// amplitudes a_i, summed over traces in parallel.
///
/// Errors: the shared parameters' covariance is s^2 (J^T J)^-1 with s^2 the residual variance on
/// N - (shared + all amplitudes) degrees of freedom; lifetimes and the width are fitted in logs,
/// so their 95 % intervals are exp(ln tau +- 1.96 se) and their standard errors tau se(ln tau).
/// Amplitude errors are conditional on the shared parameters (diag s^2 (C_i^T C_i)^-1).
public struct GlobalKinetics: Sendable {
    public struct Options: Sendable {
        /// Finite lifetimes fitted (1 to 4).
        public var components: Int
        public var coherentArtifact: Bool
        /// The chirp's polynomial degree in x = (wavenumber - reference) / 1000 cm^-1; 0: one time
        /// zero for all traces (pixel maps, which have no wavenumber axis).
        public var chirpDegree: Int
        /// Whether a long-lived component (a step, `KineticsTraces.longLivedSpans` spans) is
        /// included: nil decides from the data (a free lifetime that runs to the ceiling becomes it).
        public var longLived: Bool?
        public var maxIterations: Int
        public var tolerance: Double

        public init(components: Int, coherentArtifact: Bool = false, chirpDegree: Int = 2, longLived: Bool? = nil,
                    maxIterations: Int = 200, tolerance: Double = 1e-10) {
            self.components = components; self.coherentArtifact = coherentArtifact; self.chirpDegree = chirpDegree
            self.longLived = longLived; self.maxIterations = maxIterations; self.tolerance = tolerance
        }
    }

    /// The fit.
    public struct Result: Sendable {
        /// Finite lifetimes, fs, shortest first.
        public var lifetimes: [Estimate]
        public var longLived: Bool
        public var irfSigma: Estimate
        /// The chirp's coefficients, fs per (1000 cm^-1)^k, k = 0 ... degree.
        public var chirp: [Estimate]
        public var referenceWavenumber: Double
        /// Per trace: time zero and its standard error from the chirp's covariance, fs.
        public var timeZeros: [Double]
        public var timeZeroErrors: [Double]
        /// Per trace, the amplitudes of `amplitudeNames` (the DAS, the offset, the artefact) and
        /// their errors.
        public var amplitudes: [[Double]]
        public var amplitudeErrors: [[Double]]
        public var amplitudeNames: [String]
        /// Residuals, data - model: traces x delays, NaN where the data are.
        public var residuals: [Float]
        public var chiSquare: Double
        public var degreesOfFreedom: Int
        public var iterations: Int
        public var converged: Bool
        /// Why the fit is not to be trusted, or empty.
        public var notes: [String]
    }

    public let delays: [Double]
    /// Each trace's chirp variable x (0 for maps).
    public let chirpX: [Double]
    public let referenceWavenumber: Double
    public let traces: [Float]
    public var options: Options

    /// `wavelengths` in nm (nil for pixel maps: one time zero).
    public init(delays: [Double], wavelengths: [Double]?, traces: [Float], options: Options) {
        self.delays = delays
        self.traces = traces
        var options = options
        if let wavelengths, wavelengths.count > 1 {
            let numbers = wavelengths.map { 1e7 / $0 }
            let reference = 0.5 * (numbers.min()! + numbers.max()!)
            referenceWavenumber = reference
            chirpX = numbers.map { ($0 - reference) / 1000 }
        } else {
            options.chirpDegree = 0
            referenceWavenumber = .nan
            chirpX = [Double](repeating: 0, count: traces.count / max(delays.count, 1))
        }
        self.options = options
    }

    var traceCount: Int { traces.count / delays.count }

    // MARK: the shared parameters

    /// theta: ln tau_c for each free lifetime, ln sigma, chirp coefficients.
    struct Layout {
        let lifetimes: Int
        let degree: Int
        var count: Int { lifetimes + 1 + degree + 1 }
        var sigmaIndex: Int { lifetimes }
        func chirpIndex(_ k: Int) -> Int { lifetimes + 1 + k }
    }

    /// One trace's model at theta: its amplitudes, residual sum of squares, and (when asked) its
    /// share of J^T J and J^T r.
    struct TraceTerms {
        var rss = 0.0
        var amplitudes: [Double] = []
        var amplitudeVariances: [Double] = []
    }

    /// The columns of trace `i` at (taus, sigma, t0): values and derivatives by tau_c, t0 and sigma.
    func columns(trace i: Int, points: [Int], taus: [Double], heldTau: Double?, sigma: Double, t0: Double,
                 derivatives: Bool) -> (c: [[Double]], byTau: [[Double]], byT0: [[Double]], bySigma: [[Double]]) {
        let decays = taus.count + (heldTau == nil ? 0 : 1)
        let k = decays + 1 + (options.coherentArtifact ? 3 : 0)
        let m = points.count
        var c = [[Double]](repeating: [Double](repeating: 0, count: m), count: k)
        var byTau = [[Double]](), byT0 = [[Double]](), bySigma = [[Double]]()
        if derivatives {
            byTau = [[Double]](repeating: [Double](repeating: 0, count: m), count: taus.count)
            byT0 = c; bySigma = c
        }
        var d = ParameterLanes<Double>(repeating: 0)
        for j in 0..<decays {
            let tau = j < taus.count ? taus[j] : heldTau!
            let parameters = [1, tau, t0, sigma, 0]
            let model = parameters.withUnsafeBufferPointer { KineticsModel<Double, OneExponential>(parameters: $0.baseAddress!) }
            for (q, point) in points.enumerated() {
                c[j][q] = model.evaluate(x: delays[point], y: 0, derivatives: &d)
                if derivatives {
                    if j < taus.count { byTau[j][q] = d[1] }
                    byT0[j][q] = d[2]; bySigma[j][q] = d[3]
                }
            }
        }
        for q in 0..<m { c[decays][q] = 1 }
        if options.coherentArtifact {
            for (q, point) in points.enumerated() {
                let g = (delays[point] - t0) / sigma, e = exp(-g * g / 2)
                let h = [e, -g * e, (g * g - 1) * e, g * (3 - g * g) * e]
                for a in 0..<3 {
                    c[decays + 1 + a][q] = h[a]
                    if derivatives {
                        byT0[decays + 1 + a][q] = -h[a + 1] / sigma
                        bySigma[decays + 1 + a][q] = -g * h[a + 1] / sigma
                    }
                }
            }
        }
        return (c, byTau, byT0, bySigma)
    }

    /// A small dense solve of the normal equations of `columns` (unit-diagonal scaled); the
    /// factor is kept to project further vectors. nil when singular.
    struct Normal {
        let k: Int
        let scale: [Double]
        var factor: [Double]

        init?(_ columns: [[Double]]) {
            let k = columns.count
            self.k = k
            var packed = [Double](repeating: 0, count: k * (k + 1) / 2)
            var scale = [Double](repeating: 1, count: k)
            for a in 0..<k {
                var s = 0.0
                for v in columns[a] { s += v * v }
                scale[a] = s > 0 ? 1 / s.squareRoot() : 1
            }
            for a in 0..<k {
                for b in 0...a {
                    var s = 0.0
                    let x = columns[a], y = columns[b]
                    for q in x.indices { s += x[q] * y[q] }
                    packed[SymmetricSolve.packedIndex(a, b)] = s * scale[a] * scale[b]
                }
            }
            let singular = packed.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: k) }
            guard !singular else { return nil }
            self.scale = scale
            factor = packed
        }

        /// (C^T C)^-1 C^T v.
        func solve(_ columns: [[Double]], _ v: [Double]) -> [Double] {
            var b = [Double](repeating: 0, count: k)
            for a in 0..<k {
                var s = 0.0
                let x = columns[a]
                for q in x.indices { s += x[q] * v[q] }
                b[a] = s * scale[a]
            }
            factor.withUnsafeBufferPointer { f in b.withUnsafeMutableBufferPointer { SymmetricSolve.solve(factorised: f.baseAddress!, $0.baseAddress!, n: k) } }
            for a in 0..<k { b[a] *= scale[a] }
            return b
        }

        /// diag (C^T C)^-1.
        func inverseDiagonal() -> [Double] {
            (0..<k).map { a in
                var e = [Double](repeating: 0, count: k)
                e[a] = 1
                factor.withUnsafeBufferPointer { f in e.withUnsafeMutableBufferPointer { SymmetricSolve.solve(factorised: f.baseAddress!, $0.baseAddress!, n: k) } }
                return e[a] * scale[a] * scale[a]
            }
        }
    }

    /// The sums over every trace at theta: chi^2, and with `jacobian` J^T J (packed) and J^T r.
    func evaluate(theta: [Double], layout: Layout, heldTau: Double?, jacobian: Bool)
        -> (rss: Double, jtj: [Double], jtr: [Double], failed: Int) {
        let p = layout.count, m = delays.count, n = traceCount
        let taus = (0..<layout.lifetimes).map { exp(theta[$0]) }
        let sigma = exp(theta[layout.sigmaIndex])
        let chunks = max(1, min(n, ProcessInfo.processInfo.activeProcessorCount * 4))
        var partials = [(rss: Double, jtj: [Double], jtr: [Double], failed: Int)](repeating: (0, [], [], 0), count: chunks)
        partials.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var rss = 0.0, failed = 0
                var jtj = [Double](repeating: 0, count: jacobian ? p * (p + 1) / 2 : 0), jtr = [Double](repeating: 0, count: jacobian ? p : 0)
                var i = chunk
                while i < n {
                    defer { i += chunks }
                    let points = (0..<m).filter { traces[i * m + $0].isFinite }
                    let y = points.map { Double(traces[i * m + $0]) }
                    let t0 = self.timeZero(trace: i, theta: theta, layout: layout)
                    let cols = columns(trace: i, points: points, taus: taus, heldTau: heldTau, sigma: sigma, t0: t0, derivatives: jacobian)
                    guard points.count > cols.c.count, let normal = Normal(cols.c) else { failed += 1; continue }
                    let a = normal.solve(cols.c, y)
                    var r = y
                    for (col, amplitude) in zip(cols.c, a) { for q in r.indices { r[q] -= amplitude * col[q] } }
                    for v in r { rss += v * v }
                    guard jacobian else { continue }
                    // dC/dtheta_j a, projected off the columns: -(I - P) v.
                    var jColumns = [[Double]](repeating: [], count: p)
                    var byT0 = [Double](repeating: 0, count: points.count), bySigma = byT0
                    for (col, amplitude) in a.enumerated() {
                        for q in byT0.indices {
                            byT0[q] += cols.byT0[col][q] * amplitude
                            bySigma[q] += cols.bySigma[col][q] * amplitude
                        }
                    }
                    for c in 0..<layout.lifetimes { jColumns[c] = cols.byTau[c].map { $0 * a[c] * taus[c] } }
                    jColumns[layout.sigmaIndex] = bySigma.map { $0 * sigma }
                    var power = 1.0
                    for k in 0...layout.degree {
                        let factor = power
                        jColumns[layout.chirpIndex(k)] = byT0.map { $0 * factor }
                        power *= chirpX[i]
                    }
                    for j in 0..<p {
                        let coefficients = normal.solve(cols.c, jColumns[j])
                        var v = jColumns[j]
                        for (col, b) in zip(cols.c, coefficients) { for q in v.indices { v[q] -= b * col[q] } }
                        jColumns[j] = v.map { -$0 }
                    }
                    for j in 0..<p {
                        var s = 0.0
                        for q in r.indices { s += jColumns[j][q] * r[q] }
                        jtr[j] += s
                        for l in 0...j {
                            var t = 0.0
                            for q in r.indices { t += jColumns[j][q] * jColumns[l][q] }
                            jtj[SymmetricSolve.packedIndex(j, l)] += t
                        }
                    }
                }
                out[chunk] = (rss, jtj, jtr, failed)
            }
        }
        var total = (rss: 0.0, jtj: [Double](repeating: 0, count: jacobian ? p * (p + 1) / 2 : 0),
                     jtr: [Double](repeating: 0, count: jacobian ? p : 0), failed: 0)
        for part in partials {
            total.rss += part.rss; total.failed += part.failed
            for k in part.jtj.indices { total.jtj[k] += part.jtj[k] }
            for k in part.jtr.indices { total.jtr[k] += part.jtr[k] }
        }
        return total
    }

    func timeZero(trace i: Int, theta: [Double], layout: Layout) -> Double {
        var t = 0.0, power = 1.0
        for k in 0...layout.degree { t += theta[layout.chirpIndex(k)] * power; power *= chirpX[i] }
        return t
    }

    // MARK: start values

    /// The chirp's start: a robust polynomial through the time zeros `TimeZero` finds in traces
    /// `indices` (`starts[k]` for trace `indices[k]`), the farthest 20 % left out and refitted,
    /// three times; the width's start is the traces' median.
    func chirpStart(_ starts: [(t0: Double, irf: Double)], indices: [Int]) -> (coefficients: [Double], sigma: Double) {
        let degree = options.chirpDegree
        var used = starts.indices.filter { starts[$0].t0.isFinite }
        var coefficients = [Double](repeating: 0, count: degree + 1)
        for _ in 0..<3 {
            coefficients = Self.polynomial(x: used.map { chirpX[indices[$0]] }, y: used.map { starts[$0].t0 }, degree: degree) ?? coefficients
            let misfit = used.map { k -> Double in
                var t = 0.0, power = 1.0
                for j in 0...degree { t += coefficients[j] * power; power *= chirpX[indices[k]] }
                return abs(starts[k].t0 - t)
            }
            guard !misfit.isEmpty else { break }
            let cut = misfit.sorted()[min(misfit.count - 1, Int(0.8 * Double(misfit.count)))]
            used = zip(used, misfit).filter { $0.1 <= cut }.map(\.0)
            if used.count <= degree + 1 { break }
        }
        let widths = starts.map(\.irf).filter { $0.isFinite && $0 > 0 }.sorted()
        return (coefficients, widths.isEmpty ? 100 : widths[widths.count / 2])
    }

    /// Traces whose time zeros seed the chirp when the caller has none: at most this many, spread
    /// evenly over the band (`TimeZero` costs ~6 ms a trace; a polynomial needs far fewer).
    public static let chirpStartTraces = 160

    /// Least-squares polynomial coefficients, lowest power first; nil when singular.
    static func polynomial(x: [Double], y: [Double], degree: Int) -> [Double]? {
        guard x.count > degree else { return nil }
        let columns = (0...degree).map { k in x.map { pow($0, Double(k)) } }
        return Normal(columns)?.solve(columns, y)
    }

    /// The lifetimes' start, with the chirp and width held: picked greedily from `KineticsStart`'s
    /// grid, each pick the one that lowers the summed residual of all traces most (every trace's
    /// amplitudes solved linearly), neighbours of a pick excluded. Each trace's Gram matrix of
    /// every grid column (and the offset and artefact columns) is made once, so a trial costs a
    /// small solve per trace. Returns the finite picks, shortest first, and whether the long-lived
    /// step was picked.
    func lifetimeStart(coefficients: [Double], sigma: Double, components: Int, allowLongLived: Bool) -> (taus: [Double], longLived: Bool) {
        let rule = KineticsStart(delays: delays)
        let grid = rule.grid, longIndex = grid.count - 1
        let m = delays.count, n = traceCount
        let layout = Layout(lifetimes: 0, degree: options.chirpDegree)
        let theta = [log(sigma)] + coefficients
        let fixedCount = 1 + (options.coherentArtifact ? 3 : 0)
        var grams = [[[Double]]](repeating: [], count: n), rhss = [[Double]](repeating: [], count: n)
        grams.withUnsafeMutableBufferPointer { gramBuffer in
            rhss.withUnsafeMutableBufferPointer { rhsBuffer in
                let (g, r) = (gramBuffer, rhsBuffer)
                DispatchQueue.concurrentPerform(iterations: n) { i in
                    let points = (0..<m).filter { traces[i * m + $0].isFinite }
                    let y = points.map { Double(traces[i * m + $0]) }
                    // Grid lifetimes as columns, then the offset and the artefact.
                    let cols = columns(trace: i, points: points, taus: grid, heldTau: nil, sigma: sigma,
                                       t0: timeZero(trace: i, theta: theta, layout: layout), derivatives: false).c
                    (g[i], r[i]) = KineticsStart.normalEquations(columns: cols, y: y)
                }
            }
        }
        let fixed = (0..<fixedCount).map { grid.count + $0 }
        func explained(_ subset: [Int]) -> Double {
            var total = 0.0
            for i in 0..<n where !grams[i].isEmpty {
                guard let x = KineticsStart.solve(gram: grams[i], rhs: rhss[i], subset: subset) else { continue }
                for (column, value) in zip(subset, x) { total += rhss[i][column] * value }
            }
            return total
        }
        var chosen: [Int] = []
        var finiteCount = 0
        while finiteCount < components {
            var best: (index: Int, explained: Double)?
            for g in grid.indices where !chosen.contains(where: { abs($0 - g) < 2 }) {
                if g == longIndex && !allowLongLived { continue }
                let value = explained(chosen + [g] + fixed)
                if value > (best?.explained ?? -.infinity) { best = (g, value) }
            }
            guard let pick = best else { break }
            chosen.append(pick.index)
            if pick.index != longIndex { finiteCount += 1 }
        }
        // The long-lived step, when not yet picked, joins only where it lowers chi^2 by more than
        // BIC's price of one amplitude per trace.
        if allowLongLived && !chosen.contains(longIndex) {
            let without = explained(chosen + fixed), with = explained(chosen + [longIndex] + fixed)
            var squares = 0.0, points = 0
            for v in traces where v.isFinite { squares += Double(v) * Double(v); points += 1 }
            let parameters = n * (chosen.count + 1 + fixedCount)
            let variance = (squares - with) / Double(max(points - parameters, 1))
            if variance > 0, (with - without) / variance > Double(n) * log(Double(max(points, 2))) { chosen.append(longIndex) }
        }
        var taus = chosen.filter { $0 != longIndex }.map { grid[$0] }.sorted()
        while taus.count < components { taus.append((taus.last ?? 100) * 5) }
        return (taus, chosen.contains(longIndex))
    }

    // MARK: the fit

    /// Fits the shared parameters from per-trace time-zero starts (every trace's, as
    /// `KineticsTraces.timeZeroStarts` gives them; when nil, `TimeZero` on `chirpStartTraces`
    /// traces spread over the band).
    public func fit(timeZeroStarts: [(t0: Double, irf: Double)]? = nil) throws -> Result {
        let n = traceCount, m = delays.count
        let indices: [Int], starts: [(t0: Double, irf: Double)]
        if let timeZeroStarts {
            (indices, starts) = (Array(0..<n), timeZeroStarts)
        } else {
            let count = min(n, Self.chirpStartTraces)
            indices = (0..<count).map { count == 1 ? 0 : $0 * (n - 1) / (count - 1) }
            var subset: [Float] = []
            subset.reserveCapacity(count * m)
            for i in indices { subset += traces[i * m ..< (i + 1) * m] }
            starts = KineticsTraces.timeZeroStarts(delays: delays, traces: subset)
        }
        let (coefficients, sigma) = chirpStart(starts, indices: indices)
        let allowLongLived = options.longLived ?? true
        var (taus, longLived) = lifetimeStart(coefficients: coefficients, sigma: sigma, components: options.components,
                                              allowLongLived: allowLongLived)
        if options.longLived == false { longLived = false }
        if options.longLived == true { longLived = true }
        let span = (KineticsBounds(delays: delays)?.span ?? 1)
        let held = span * KineticsTraces.longLivedSpans
        var result = try solve(taus: taus, sigma: sigma, coefficients: coefficients, heldTau: longLived ? held : nil)
        // A free lifetime at the window's ceiling is a long-lived component: hold it and refit.
        let ceiling = span * KineticsBounds.lifetimeSpans
        if options.longLived == nil, !longLived, let slowest = result.lifetimes.last, slowest.value >= 0.999 * ceiling, taus.count > 1 {
            taus = Array(result.lifetimes.dropLast().map(\.value))
            longLived = true
            var refit = try solve(taus: taus, sigma: result.irfSigma.value, coefficients: result.chirp.map(\.value), heldTau: held)
            refit.notes.append("the slowest lifetime ran to the window's ceiling (\(Int(ceiling)) fs): held as a long-lived component, one fewer finite lifetime")
            result = refit
        }
        return result
    }

    /// LM on theta from the given start; lifetimes bounded to [step/10, ten spans] in logs.
    func solve(taus: [Double], sigma: Double, coefficients: [Double], heldTau: Double?) throws -> Result {
        let layout = Layout(lifetimes: taus.count, degree: options.chirpDegree)
        let p = layout.count, m = delays.count, n = traceCount
        let bounds = KineticsBounds(delays: delays)
        let floor = log((bounds?.step ?? 1) * KineticsBounds.floorPerStep), ceiling = log((bounds?.span ?? 1) * KineticsBounds.lifetimeSpans)
        var theta = taus.map(log) + [log(sigma)] + coefficients
        var lambda = 1e-3
        var current = evaluate(theta: theta, layout: layout, heldTau: heldTau, jacobian: true)
        var iterations = 0, converged = false
        while iterations < options.maxIterations {
            iterations += 1
            var accepted = false
            for _ in 0..<12 {
                var a = current.jtj
                for j in 0..<p { a[SymmetricSolve.packedIndex(j, j)] *= 1 + lambda; a[SymmetricSolve.packedIndex(j, j)] += 1e-300 }
                var step = current.jtr.map { -$0 }
                let singular = a.withUnsafeMutableBufferPointer { SymmetricSolve.factorise($0.baseAddress!, n: p) }
                if singular { lambda *= 10; continue }
                a.withUnsafeBufferPointer { f in step.withUnsafeMutableBufferPointer { SymmetricSolve.solve(factorised: f.baseAddress!, $0.baseAddress!, n: p) } }
                var trial = zip(theta, step).map { $0 + $1 }
                for c in 0..<layout.lifetimes { trial[c] = min(max(trial[c], floor), ceiling) }
                trial[layout.sigmaIndex] = min(max(trial[layout.sigmaIndex], floor), log(bounds?.span ?? 1))
                let next = evaluate(theta: trial, layout: layout, heldTau: heldTau, jacobian: false)
                if next.rss < current.rss {
                    let change = (current.rss - next.rss) / max(current.rss, .leastNormalMagnitude)
                    theta = trial
                    current = evaluate(theta: theta, layout: layout, heldTau: heldTau, jacobian: true)
                    lambda = max(lambda / 10, 1e-12)
                    accepted = true
                    if change < options.tolerance { converged = true }
                    break
                }
                lambda *= 10
            }
            if !accepted { converged = true }  // no step lowers chi^2: at the minimum to rounding
            if converged { break }
        }
        // Errors.
        var usedPoints = 0
        for v in traces where v.isFinite { usedPoints += 1 }
        let perTrace = layout.lifetimes + (heldTau == nil ? 0 : 1) + 1 + (options.coherentArtifact ? 3 : 0)
        let dof = usedPoints - p - n * perTrace
        let s2 = dof > 0 ? current.rss / Double(dof) : .nan
        var covariance = [[Double]](repeating: [Double](repeating: .nan, count: p), count: p)
        var factor = current.jtj
        if !factor.withUnsafeMutableBufferPointer({ SymmetricSolve.factorise($0.baseAddress!, n: p) }) {
            for j in 0..<p {
                var e = [Double](repeating: 0, count: p)
                e[j] = 1
                factor.withUnsafeBufferPointer { f in e.withUnsafeMutableBufferPointer { SymmetricSolve.solve(factorised: f.baseAddress!, $0.baseAddress!, n: p) } }
                for l in 0..<p { covariance[l][j] = e[l] * s2 }
            }
        }
        func logEstimate(_ j: Int) -> Estimate {
            let value = exp(theta[j]), se = covariance[j][j].squareRoot()
            return Estimate(value: value, stderr: value * se, ci95: [exp(theta[j] - 1.96 * se), exp(theta[j] + 1.96 * se)])
        }
        var notes: [String] = []
        let lifetimeEstimates = (0..<layout.lifetimes).map(logEstimate)
        for (c, e) in lifetimeEstimates.enumerated() where abs(log(e.value) - ceiling) < 1e-6 || abs(log(e.value) - floor) < 1e-6 {
            notes.append("lifetime \(c + 1) is on its bound (\(e.value) fs): a limit, not a measurement")
        }
        let order = lifetimeEstimates.indices.sorted { lifetimeEstimates[$0].value < lifetimeEstimates[$1].value }
        let chirp = (0...layout.degree).map { k -> Estimate in
            let j = layout.chirpIndex(k), se = covariance[j][j].squareRoot()
            return Estimate(value: theta[j], stderr: se, ci95: [theta[j] - 1.96 * se, theta[j] + 1.96 * se])
        }
        // Per trace: amplitudes, their errors, time zero and its band, residuals.
        let taus = (0..<layout.lifetimes).map { exp(theta[$0]) }
        let sigma = exp(theta[layout.sigmaIndex])
        var amplitudes = [[Double]](repeating: [], count: n), amplitudeErrors = amplitudes
        var timeZeros = [Double](repeating: .nan, count: n), timeZeroErrors = timeZeros
        var residuals = [Float](repeating: .nan, count: n * m)
        let names = (0..<layout.lifetimes).map { "amplitude_\($0 + 1)" }
            + (heldTau == nil ? [] : ["amplitude_long_lived"]) + ["offset"] + (options.coherentArtifact ? ["artifact_0", "artifact_1", "artifact_2"] : [])
        let sortedTaus = order.map { taus[$0] }
        let solution = theta, covarianceMatrix = covariance
        amplitudes.withUnsafeMutableBufferPointer { ampsBuffer in
            amplitudeErrors.withUnsafeMutableBufferPointer { errsBuffer in
                residuals.withUnsafeMutableBufferPointer { resBuffer in
                    timeZeros.withUnsafeMutableBufferPointer { zerosBuffer in
                        timeZeroErrors.withUnsafeMutableBufferPointer { zeroErrorsBuffer in
                            let (amps, errs, res, zeros, zeroErrors) = (ampsBuffer, errsBuffer, resBuffer, zerosBuffer, zeroErrorsBuffer)
                            DispatchQueue.concurrentPerform(iterations: n) { i in
                                let points = (0..<m).filter { traces[i * m + $0].isFinite }
                                let y = points.map { Double(traces[i * m + $0]) }
                                let t0 = timeZero(trace: i, theta: solution, layout: layout)
                                zeros[i] = t0
                                var power = 1.0, powers: [Double] = []
                                for _ in 0...layout.degree { powers.append(power); power *= chirpX[i] }
                                var v = 0.0
                                for a in 0...layout.degree { for b in 0...layout.degree { v += powers[a] * powers[b] * covarianceMatrix[layout.chirpIndex(a)][layout.chirpIndex(b)] } }
                                zeroErrors[i] = v.squareRoot()
                                let cols = columns(trace: i, points: points, taus: sortedTaus, heldTau: heldTau, sigma: sigma, t0: t0, derivatives: false)
                                guard let normal = Normal(cols.c) else {
                                    amps[i] = [Double](repeating: .nan, count: names.count); errs[i] = amps[i]
                                    return
                                }
                                let a = normal.solve(cols.c, y)
                                amps[i] = a
                                errs[i] = normal.inverseDiagonal().map { ($0 * s2).squareRoot() }
                                for (q, point) in points.enumerated() {
                                    var model = 0.0
                                    for (col, amplitude) in zip(cols.c, a) { model += amplitude * col[q] }
                                    res[i * m + point] = Float(y[q] - model)
                                }
                            }
                        }
                    }
                }
            }
        }
        if current.failed > 0 { notes.append("\(current.failed) traces have too few points or flat columns and were left out") }
        if !converged { notes.append("not converged in \(options.maxIterations) iterations") }
        return Result(lifetimes: order.map { lifetimeEstimates[$0] }, longLived: heldTau != nil, irfSigma: logEstimate(layout.sigmaIndex),
                      chirp: chirp, referenceWavenumber: referenceWavenumber, timeZeros: timeZeros, timeZeroErrors: timeZeroErrors,
                      amplitudes: amplitudes, amplitudeErrors: amplitudeErrors, amplitudeNames: names, residuals: residuals,
                      chiSquare: current.rss, degreesOfFreedom: dof, iterations: iterations, converged: converged, notes: notes)
    }
}
