import CLaneMath

/// The 2D models' start rule (`AutoStart.gaussian2D`: border median, sign and height of the spot,
/// centroid and second moments of the half-maximum region) for a ROI whose every pixel is usable,
/// the common case, in two passes over the pixels and without allocating: the first finds the
/// extremes and gathers the border, the second sums the half-maximum region 16 pixels at a time.
/// The moments come from plain sums (count, x, y, x^2, y^2, xy over the region), the centroid from
/// height-weighted ones, so one pass serves both. Fits with masked pixels take the general rule.
public struct GridStart: Sendable {
    public let width: Int
    public let height: Int
    /// Each pixel's column and row from the ROI's centre, as float32, row-major (the sums'
    /// lanes): about the centre the sums stay small, so float32 loses nothing the moments need.
    let columns: [Float]
    let rows: [Float]
    let centre: (x: Double, y: Double)

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        let m = width * height
        centre = (Double(width - 1) / 2, Double(height - 1) / 2)
        columns = (0..<m).map { Float(Double($0 % width) - Double(width - 1) / 2) }
        rows = (0..<m).map { Float(Double($0 / width) - Double(height - 1) / 2) }
    }

    /// Writes the start values of `model` for `data` (width x height, every value finite) to `out`.
    public func estimate(model: ModelID, data: UnsafeBufferPointer<Float>, into out: UnsafeMutablePointer<Double>) {
        let m = width * height
        precondition(data.count == m, "one value per pixel")
        let z = data.baseAddress!, raw = UnsafeRawPointer(z)
        let whole = m / 16 * 16
        // Pass 1: the extremes, 16 pixels at a time, then where each first occurs (the general
        // rule keeps the first highest and the first lowest); and the border's median.
        var low = SIMD16<Float>(repeating: .infinity), high = SIMD16<Float>(repeating: -.infinity)
        for start in stride(from: 0, to: whole, by: 16) {
            let v = raw.loadUnaligned(fromByteOffset: 4 * start, as: SIMD16<Float>.self)
            low = ff_min_f16(low, v)
            high = ff_max_f16(high, v)
        }
        var peak = high.max(), trough = low.min()
        for k in whole..<m { peak = Swift.max(peak, z[k]); trough = Swift.min(trough, z[k]) }
        let peakIndex = Self.firstIndex(of: peak, in: z, count: m), troughIndex = Self.firstIndex(of: trough, in: z, count: m)
        let borderCount = width <= 2 || height <= 2 ? m : 2 * (width + height) - 4
        let baseline: Double = withUnsafeTemporaryAllocation(of: Float.self, capacity: (borderCount + 15) / 16 * 16) { border in
            let b = border.baseAddress!
            if width <= 2 || height <= 2 {
                b.update(from: z, count: m)
            } else {
                var n = 0
                for x in 0..<width { b[n] = z[x]; b[n + 1] = z[(height - 1) * width + x]; n += 2 }
                for y in 1..<(height - 1) { b[n] = z[y * width]; b[n + 1] = z[y * width + width - 1]; n += 2 }
            }
            return Self.middleMean(padding: border, count: borderCount)
        }
        let up = Double(peak) - baseline, down = baseline - Double(trough)
        let amplitude = down > up ? Double(trough) - baseline : up
        let extremum = down > up ? troughIndex : peakIndex
        // Pass 2: the half-maximum region, 16 pixels at a time (the tail lanes hold zero height).
        var sums = RegionSums(baseline: Float(baseline), sign: amplitude < 0 ? -1 : 1, threshold: Float(0.5 * abs(amplitude)))
        columns.withUnsafeBufferPointer { columns in
        rows.withUnsafeBufferPointer { rows in
            let cx = UnsafeRawPointer(columns.baseAddress!), cy = UnsafeRawPointer(rows.baseAddress!)
            for start in stride(from: 0, to: whole, by: 16) {
                sums.add(raw.loadUnaligned(fromByteOffset: 4 * start, as: SIMD16<Float>.self),
                         cx.loadUnaligned(fromByteOffset: 4 * start, as: SIMD16<Float>.self),
                         cy.loadUnaligned(fromByteOffset: 4 * start, as: SIMD16<Float>.self))
            }
            if whole < m {
                // Lanes past the ROI sit at the baseline: zero height, never inside.
                var v = SIMD16<Float>(repeating: Float(baseline)), x = SIMD16<Float>(), y = SIMD16<Float>()
                for k in whole..<m { v[k - whole] = z[k]; x[k - whole] = columns[k]; y[k - whole] = rows[k] }
                sums.add(v, x, y)
            }
        }}
        let (sw, sx, sy, count, px, py, pxx, pyy, pxy) = (sums.sw, sums.sx, sums.sy, sums.count, sums.px, sums.py, sums.pxx, sums.pyy, sums.pxy)
        // Centroid and moments about it, from the centre-relative sums.
        let w = Double(sw.sum()), n = Double(count.sum())
        let dx = w > 0 ? Double(sx.sum()) / w : Double(extremum % width) - centre.x
        let dy = w > 0 ? Double(sy.sum()) / w : Double(extremum / width) - centre.y
        var cxx = 0.0, cyy = 0.0, cxy = 0.0
        if n > 0 {
            let mx = Double(px.sum()) / n, my = Double(py.sum()) / n
            cxx = max(Double(pxx.sum()) / n - 2 * dx * mx + dx * dx, 0)
            cyy = max(Double(pyy.sum()) / n - 2 * dy * my + dy * dy, 0)
            cxy = Double(pxy.sum()) / n - dx * my - dy * mx + dx * dy
        }
        AutoStart.gaussian2DParameters(model: model, amplitude: amplitude, x0: centre.x + dx, y0: centre.y + dy, baseline: baseline,
                                       cxx: cxx, cyy: cyy, cxy: cxy, count: max(n, 1), width: width, height: height, into: out)
    }

    /// The median of the `count` finite values at `values`, as the general rule takes it: the mean
    /// of the two middle values for an even count.
    public static func median(_ values: UnsafePointer<Float>, count n: Int) -> Double {
        guard n > 0 else { return 0 }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: (n + 15) / 16 * 16) { buffer in
            buffer.baseAddress!.update(from: values, count: n)
            return middleMean(padding: buffer, count: n)
        }
    }

    /// The median of the first `count` values of `buffer` (room for whole vectors, which is
    /// padded with +inf here): the mean of `ff_middle_pair`'s two middle values, by rank counting.
    static func middleMean(padding buffer: UnsafeMutableBufferPointer<Float>, count n: Int) -> Double {
        let b = buffer.baseAddress!, padded = (n + 15) / 16 * 16
        precondition(n > 0 && buffer.count >= padded, "whole vectors")
        (b + n).initialize(repeating: .infinity, count: padded - n)
        var lower: Float = 0, upper: Float = 0
        ff_middle_pair(b, n, &lower, &upper)
        return 0.5 * (Double(lower) + Double(upper))
    }

    /// Where `target` first occurs among the `count` values at `z` (it does occur), 16 at a time.
    static func firstIndex(of target: Float, in z: UnsafePointer<Float>, count m: Int) -> Int {
        let raw = UnsafeRawPointer(z), wanted = SIMD16<Float>(repeating: target)
        var k = 0
        while k + 16 <= m && ff_any_i16(ff_eq_f16(raw.loadUnaligned(fromByteOffset: 4 * k, as: SIMD16<Float>.self), wanted)) == 0 { k += 16 }
        while z[k] != target { k += 1 }
        return k
    }

    static func median(_ values: UnsafeMutableBufferPointer<Float>) -> Double {
        median(values.baseAddress!, count: values.count)
    }
}

/// The half-maximum region's sums, 16 pixels a step: height-weighted (centroid) and plain
/// (count and second moments), over the pixels above half the spot's height.
struct RegionSums {
    let baseline: SIMD16<Float>, sign: SIMD16<Float>, threshold: SIMD16<Float>
    var sw = SIMD16<Float>(), sx = SIMD16<Float>(), sy = SIMD16<Float>()
    var count = SIMD16<Float>(), px = SIMD16<Float>(), py = SIMD16<Float>()
    var pxx = SIMD16<Float>(), pyy = SIMD16<Float>(), pxy = SIMD16<Float>()

    init(baseline: Float, sign: Float, threshold: Float) {
        self.baseline = SIMD16(repeating: baseline)
        self.sign = SIMD16(repeating: sign)
        self.threshold = SIMD16(repeating: threshold)
    }

    @inline(__always)
    mutating func add(_ values: SIMD16<Float>, _ x: SIMD16<Float>, _ y: SIMD16<Float>) {
        let h = sign * (values - baseline)
        let inside = ff_lt_f16(threshold, h)
        let hw = ff_select_f16(inside, h, SIMD16<Float>()), w = ff_select_f16(inside, SIMD16<Float>(repeating: 1), SIMD16<Float>())
        sw += hw; sx += hw * x; sy += hw * y
        count += w; px += w * x; py += w * y
        pxx += w * x * x; pyy += w * y * y; pxy += w * x * y
    }
}
