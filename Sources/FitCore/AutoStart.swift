#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Start values estimated from a fit's own data, so no user is ever asked for them: moments and
/// the half-maximum area for Gaussians, a closed-form line, and a robust estimate for kinetics.
/// Spots may be positive (bleach) or negative (photo-induced absorption): the sign is detected.
public enum AutoStart {
    public static func estimate(model: ModelID, data: UnsafeBufferPointer<Float>, weights: [Float]?,
                                coordinates: FitCoordinates, fit: Int) -> [Double] {
        let m = data.count
        var usable: [Int] = []
        usable.reserveCapacity(m)
        for k in 0..<m where (weights?[k] ?? 1) > 0 && data[k].isFinite { usable.append(k) }
        func x(_ k: Int) -> Double {
            switch coordinates {
            case .sharedX(let xs): return xs[k]
            case .perFitX(let xs): return Double(xs[fit * m + k])
            case .grid(let width, _): return Double(k % width)
            }
        }
        switch model.descriptor.startRule {
        case .gridSpot:
            guard case let .grid(width, height) = coordinates else { return [] }
            return gaussian2D(model: model, data: data, usable: usable, width: width, height: height)
        case .curvePeak:
            return gaussian1D(data: data, usable: usable, x: x)
        case .line:
            return line(data: data, usable: usable, x: x)
        case .kinetics:
            return kinetics(model: model, data: data, usable: usable, x: x)
        case .given, .expressions:
            // .given: FitBatch.validate refuses such a batch without start values; .expressions:
            // a runtime model's start comes from its `RuntimeStart` (FitPreparer).
            return []
        }
    }

    /// The spot's height above `baseline` (negative for a dip: photo-induced absorption) and the
    /// index of its extremum: whichever of the highest and lowest point is further from the baseline.
    static func spot(data: UnsafeBufferPointer<Float>, usable: [Int], baseline: Double) -> (amplitude: Double, index: Int) {
        var peak = -Double.infinity, trough = Double.infinity
        var peakIndex = usable.first ?? 0, troughIndex = peakIndex
        for k in usable {
            let z = Double(data[k])
            if z > peak { peak = z; peakIndex = k }
            if z < trough { trough = z; troughIndex = k }
        }
        return baseline - trough > peak - baseline ? (trough - baseline, troughIndex) : (peak - baseline, peakIndex)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
    }

    /// Baseline from the ROI border, sign and height of the spot, centroid and second moments of
    /// the pixels above half maximum (a disk of radius R = sigma sqrt(2 ln 2) has <dx^2> = R^2 / 4).
    static func gaussian2D(model: ModelID, data: UnsafeBufferPointer<Float>, usable: [Int], width: Int, height: Int) -> [Double] {
        var border: [Double] = []
        for k in usable {
            let col = k % width, row = k / width
            if col == 0 || row == 0 || col == width - 1 || row == height - 1 { border.append(Double(data[k])) }
        }
        let baseline = median(border.isEmpty ? usable.map { Double(data[$0]) } : border)
        let (amplitude, extremum) = spot(data: data, usable: usable, baseline: baseline)
        let sign: Double = amplitude < 0 ? -1 : 1
        var sw = 0.0, sx = 0.0, sy = 0.0
        var inside: [(Double, Double)] = []
        for k in usable {
            let height = sign * (Double(data[k]) - baseline)
            guard height > 0.5 * abs(amplitude) else { continue }
            let px = Double(k % width), py = Double(k / width)
            sw += height; sx += height * px; sy += height * py
            inside.append((px, py))
        }
        let x0 = sw > 0 ? sx / sw : Double(extremum % width)
        let y0 = sw > 0 ? sy / sw : Double(extremum / width)
        var cxx = 0.0, cyy = 0.0, cxy = 0.0
        for (px, py) in inside {
            cxx += (px - x0) * (px - x0); cyy += (py - y0) * (py - y0); cxy += (px - x0) * (py - y0)
        }
        let count = Double(max(inside.count, 1))
        cxx /= count; cyy /= count; cxy /= count
        var values = [Double](repeating: 0, count: model.parameterCount)
        values.withUnsafeMutableBufferPointer {
            gaussian2DParameters(model: model, amplitude: amplitude, x0: x0, y0: y0, baseline: baseline,
                                 cxx: cxx, cyy: cyy, cxy: cxy, count: count, width: width, height: height, into: $0.baseAddress!)
        }
        return values
    }

    /// The 2D models' start values from the half-maximum region's centroid (x0, y0), second
    /// moments about it and pixel count (a disk of radius R = sigma sqrt(2 ln 2) has
    /// <dx^2> = R^2 / 4), shared by the general rule and `GridStart`.
    static func gaussian2DParameters(model: ModelID, amplitude: Double, x0: Double, y0: Double, baseline: Double,
                                     cxx: Double, cyy: Double, cxy: Double, count: Double, width: Int, height: Int,
                                     into out: UnsafeMutablePointer<Double>) {
        let twoLn2 = 2 * log(2.0)
        let sigmaFromArea = max(0.5, (count / (Double.pi * twoLn2)).squareRoot())
        let limit = Double(max(width, height))
        func clampSigma(_ s: Double) -> Double { min(max(s, 0.5), limit) }
        switch model {
        case .gauss2DElliptic:
            let sxx = clampSigma((4 * cxx / twoLn2 + 1.0 / 12).squareRoot())
            let syy = clampSigma((4 * cyy / twoLn2 + 1.0 / 12).squareRoot())
            (out[0], out[1], out[2], out[3], out[4], out[5]) = (amplitude, x0, y0, sxx, syy, baseline)
        case .cauchy2DElliptic:
            // The half-maximum region of a Cauchy peak reaches gamma along each axis; its second
            // moment along an axis is about that of a disk of radius gamma, gamma^2 / 4.
            (out[0], out[1], out[2], out[3], out[4], out[5])
                = (amplitude, x0, y0, clampSigma((4 * cxx + 1.0 / 12).squareRoot()), clampSigma((4 * cyy + 1.0 / 12).squareRoot()), baseline)
        case .gauss2DRotated:
            // Principal axes of the half-maximum region; theta turns the major axis onto xr.
            let phi = 0.5 * atan2(2 * cxy, cxx - cyy)
            let mean = 0.5 * (cxx + cyy), spread = (0.25 * (cxx - cyy) * (cxx - cyy) + cxy * cxy).squareRoot()
            var major = clampSigma((4 * (mean + spread) / twoLn2 + 1.0 / 12).squareRoot())
            let minor = clampSigma((4 * max(mean - spread, 0) / twoLn2 + 1.0 / 12).squareRoot())
            // With equal widths theta has no effect on the model and the fit would be singular.
            if abs(major - minor) < 0.05 * minor { major = minor * 1.1 }
            (out[0], out[1], out[2], out[3], out[4], out[5], out[6]) = (amplitude, x0, y0, major, minor, baseline, -phi)
        default:
            (out[0], out[1], out[2], out[3], out[4]) = (amplitude, x0, y0, clampSigma(sigmaFromArea), baseline)
        }
    }

    static func gaussian1D(data: UnsafeBufferPointer<Float>, usable: [Int], x: (Int) -> Double) -> [Double] {
        guard let first = usable.first, let last = usable.last else { return [1, 0, 1, 0] }
        let ends = usable.prefix(max(1, usable.count / 10)) + usable.suffix(max(1, usable.count / 10))
        let baseline = median(ends.map { Double(data[$0]) })
        let (amplitude, centre) = spot(data: data, usable: usable, baseline: baseline)
        var lo = Double.infinity, hi = -Double.infinity
        for k in usable where (amplitude < 0 ? -1 : 1) * (Double(data[k]) - baseline) > 0.5 * abs(amplitude) {
            lo = min(lo, x(k)); hi = max(hi, x(k))
        }
        let spacing = abs(x(last) - x(first)) / Double(max(usable.count - 1, 1))
        let sigma = max(hi - lo, spacing) / 2.3548200450309493
        return [amplitude, x(centre), max(sigma, spacing * 0.5), baseline]
    }

    static func line(data: UnsafeBufferPointer<Float>, usable: [Int], x: (Int) -> Double) -> [Double] {
        var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for k in usable {
            let xv = x(k), yv = Double(data[k])
            n += 1; sx += xv; sy += yv; sxx += xv * xv; sxy += xv * yv
        }
        let det = n * sxx - sx * sx
        guard n > 0, abs(det) > 0 else { return [n > 0 ? sy / n : 0, 0] }
        let slope = (n * sxy - sx * sy) / det
        return [(sy - slope * sx) / n, slope]
    }

    /// Offset from the earliest points (before time zero), t0 at the half rise on the way to the
    /// extremum, the IRF width from the 15–50 % rise time, then the lifetimes and amplitudes by
    /// `KineticsStart` (`kineticsParameters`).
    static func kinetics(model: ModelID, data: UnsafeBufferPointer<Float>, usable: [Int], x: (Int) -> Double) -> [Double] {
        let order = usable.sorted { x($0) < x($1) }
        let xs = (0..<data.count).map(x)
        let linear = KineticsStart(delays: xs)
        var values = [Double](repeating: 1, count: model.parameterCount)
        order.withUnsafeBufferPointer { order in
            xs.withUnsafeBufferPointer { xs in
                values.withUnsafeMutableBufferPointer {
                    kineticsParameters(model: model, data: data, order: order, x: xs, linear: linear, into: $0.baseAddress!)
                }
            }
        }
        return values
    }

    /// The kinetics rule on the usable points in time order `order` (x: every point's delay),
    /// written to `out` (the model's parameterCount values); shared by the general rule and
    /// `CurveStart`. Time zero and the response width come from the rise; then `linear` (the
    /// rule `KineticsTraces` uses, issue 17) picks the lifetimes from a grid and solves the
    /// amplitudes, offset and artefact by linear least squares, so components of either sign, an
    /// artefact spike and a long-lived step start with their signs and sizes. Where it cannot (a
    /// flat trace, too few points), the lifetimes spread geometrically, the amplitude shared, and
    /// the artefact's amplitudes start at 0.
    static func kineticsParameters(model: ModelID, data: UnsafeBufferPointer<Float>, order: UnsafeBufferPointer<Int>,
                                   x: UnsafeBufferPointer<Double>, linear: KineticsStart?, into out: UnsafeMutablePointer<Double>) {
        let components = model.exponentialCount
        for j in (2 * components + 3)..<model.parameterCount { out[j] = 0 }
        guard order.count >= 2 else {
            for j in 0..<(2 * components + 3) { out[j] = 1 }
            return
        }
        let headCount = max(2, order.count / 20)
        let offset = withUnsafeTemporaryAllocation(of: Float.self, capacity: headCount) { head -> Double in
            for k in 0..<headCount { head[k] = data[order[k]] }
            return GridStart.median(head)
        }
        var extremeK = order[0], extremeValue = 0.0
        for k in order where abs(Double(data[k]) - offset) > abs(extremeValue) {
            extremeValue = Double(data[k]) - offset; extremeK = k
        }
        let tPeak = x[extremeK]
        // Crossing times of the rising edge, interpolated between delays: for a step blurred by
        // a Gaussian IRF, 15 % to 50 % takes 1.04 sigma and 50 % is time zero. (Higher levels are
        // reached late when the decay is fast, which would overestimate the IRF.)
        func crossing(_ level: Double) -> Double {
            var previousT = x[order[0]], previousV = 0.0
            for k in order where x[k] <= tPeak {
                let v = (Double(data[k]) - offset) / extremeValue
                if v >= level {
                    let t = x[k]
                    return v > previousV ? previousT + (t - previousT) * (level - previousV) / (v - previousV) : t
                }
                previousT = x[k]; previousV = v
            }
            return tPeak
        }
        let tHalf = crossing(0.5)
        let rise = tHalf - crossing(0.15)
        let tEnd = x[order[order.count - 1]]
        var spacing = Double.infinity
        for i in 1..<order.count where x[order[i]] > x[order[i - 1]] { spacing = min(spacing, x[order[i]] - x[order[i - 1]]) }
        if !spacing.isFinite { spacing = 1 }
        let irf = max(rise, spacing * 0.5) / 1.036
        let t0 = tHalf
        let shortest = max(3 * irf, spacing)
        // The slowest lifetime from how long the signal takes to fade to 5 % of its extremum
        // (three points in a row, so noise does not end it early); the axis' end if it never does.
        var fade = tEnd
        var below = 0
        for k in order where x[k] > tPeak {
            below = abs(Double(data[k]) - offset) < 0.05 * abs(extremeValue) ? below + 1 : 0
            if below == 3 { fade = x[k]; break }
        }
        let longest = max((fade - t0) / 3, shortest * 4)
        if let linear {
            var trace = [Double](repeating: .nan, count: data.count)
            for k in order { trace[k] = Double(data[k]) }
            if let start = linear.estimate(model: model, trace: trace, t0: t0, irf: irf) {
                for j in 0..<model.parameterCount { out[j] = start[j] }
                return
            }
        }
        for c in 0..<components {
            let fraction = components == 1 ? 0.5 : Double(c) / Double(components - 1)
            out[2 * c] = extremeValue / Double(components)
            out[2 * c + 1] = shortest * pow(longest / shortest, fraction)
        }
        (out[2 * components], out[2 * components + 1], out[2 * components + 2]) = (t0, irf, offset)
    }
}

/// The kinetics start rule for curves on one shared delay axis with every point usable (the
/// common case): the points' time order and the lifetime grid are found once for the batch.
public struct CurveStart: Sendable {
    let x: [Double]
    let order: [Int]
    let linear: KineticsStart

    public init(x: [Double]) {
        self.x = x
        order = Array(x.indices).sorted { x[$0] < x[$1] }
        linear = KineticsStart(delays: x)
    }

    public func estimate(model: ModelID, data: UnsafeBufferPointer<Float>, into out: UnsafeMutablePointer<Double>) {
        order.withUnsafeBufferPointer { order in
            x.withUnsafeBufferPointer { x in
                AutoStart.kineticsParameters(model: model, data: data, order: order, x: x, linear: linear, into: out)
            }
        }
    }
}
