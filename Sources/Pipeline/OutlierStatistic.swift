import Foundation

/// `OutlierRule`'s statistic for one delay's run frames, in buffers kept from delay to delay.
///
/// Each run pixel's signed deviation from the mean of the other runs, in units of the other runs'
/// scatter pooled over the 5x5 square around it without the pixel itself: the pixel is left out
/// so that an outlier in another run there does not hide it, and the mean of ~24 pixels' scatter
/// gives a steady yardstick from as few as two other runs. An outlier in run j inflates the other
/// runs' yardsticks around it, which only makes them harder to reject.
///
/// One value is made per series being prepared and reused for all its delays: the statistic runs
/// over every run pixel of a dataset, so it allocates nothing once its buffers are sized.
struct OutlierStatistic {
    /// Half the side of the square the yardstick is pooled over (5x5).
    static let poolRadius = 2

    private(set) var width = 0, height = 0, runs = 0
    /// Signed deviation of run r's pixel k at `z[r * size + k]`; NaN where untested.
    private(set) var z: [Float] = []
    private var counts: [Int32] = [], sums: [Double] = [], squares: [Double] = []
    private var table: [Double] = [], known: [Double] = []
    private var variance: [Double] = [], otherMean: [Double] = []

    var size: Int { width * height }

    /// Fills `z` for `frames` (runs x width*height, NaN for missing).
    mutating func compute(_ frames: [[Float]], width: Int, height: Int) {
        resize(runs: frames.count, width: width, height: height)
        let size = self.size, w1 = width + 1, radius = Self.poolRadius
        counts.withUnsafeMutableBufferPointer { counts in
        sums.withUnsafeMutableBufferPointer { sums in
        squares.withUnsafeMutableBufferPointer { squares in
        table.withUnsafeMutableBufferPointer { table in
        known.withUnsafeMutableBufferPointer { known in
        variance.withUnsafeMutableBufferPointer { loo in
        otherMean.withUnsafeMutableBufferPointer { looMean in
        z.withUnsafeMutableBufferPointer { z in
            for k in 0..<size { counts[k] = 0; sums[k] = 0; squares[k] = 0 }
            for frame in frames {
                frame.withUnsafeBufferPointer { f in
                    for k in 0..<size where f[k].isFinite {
                        let v = Double(f[k]); counts[k] += 1; sums[k] += v; squares[k] += v * v
                    }
                }
            }
            for (r, frame) in frames.enumerated() {
                frame.withUnsafeBufferPointer { f in
                    // The leave-one-out mean and variance of the other runs, pixel by pixel.
                    for k in 0..<size {
                        let n = Int(counts[k]), v = Double(f[k])
                        guard n >= 3, v.isFinite else { loo[k] = .nan; continue }
                        let m = (sums[k] - v) / Double(n - 1)
                        looMean[k] = m
                        loo[k] = max(0, (squares[k] - v * v - Double(n - 1) * m * m) / Double(n - 2))
                    }
                    // Summed-area tables of that variance and of where it exists.
                    for y in 0..<height {
                        var row = 0.0, rowKnown = 0.0
                        for x in 0..<width {
                            let v = loo[y * width + x]
                            if v.isFinite { row += v; rowKnown += 1 }
                            table[(y + 1) * w1 + x + 1] = table[y * w1 + x + 1] + row
                            known[(y + 1) * w1 + x + 1] = known[y * w1 + x + 1] + rowKnown
                        }
                    }
                    let out = z.baseAddress! + r * size
                    for y in 0..<height {
                        let y0 = max(0, y - radius), y1 = min(height, y + radius + 1)
                        for x in 0..<width {
                            let k = y * width + x
                            out[k] = .nan
                            guard loo[k].isFinite else { continue }
                            let x0 = max(0, x - radius), x1 = min(width, x + radius + 1)
                            let total = table[y1 * w1 + x1] - table[y0 * w1 + x1] - table[y1 * w1 + x0] + table[y0 * w1 + x0] - loo[k]
                            let number = known[y1 * w1 + x1] - known[y0 * w1 + x1] - known[y1 * w1 + x0] + known[y0 * w1 + x0] - 1
                            guard number > 0, total > 0 else { continue }
                            let n = Double(counts[k])
                            out[k] = Float((Double(f[k]) - looMean[k]) / (total / number * (1 + 1 / (n - 1))).squareRoot())
                        }
                    }
                }
            }
        } } } } } } } }
    }

    /// Sizes the buffers (kept when the shape is unchanged); the tables' first row and column stay 0.
    private mutating func resize(runs: Int, width: Int, height: Int) {
        guard runs != self.runs || width != self.width || height != self.height else { return }
        self.runs = runs; self.width = width; self.height = height
        let size = width * height
        z = [Float](repeating: .nan, count: runs * size)
        counts = [Int32](repeating: 0, count: size)
        sums = [Double](repeating: 0, count: size); squares = sums; variance = sums; otherMean = sums
        table = [Double](repeating: 0, count: (width + 1) * (height + 1)); known = table
    }

    /// How many runs were tested at pixel `k`.
    func testedRuns(pixel k: Int) -> Int {
        var n = 0
        for r in 0..<runs where z[r * size + k].isFinite { n += 1 }
        return n
    }

    /// The run to reject at pixel `k`: the one with the largest |z|, if it exceeds `threshold`.
    func rejected(pixel k: Int, threshold: Float) -> Int? {
        var worst: Int?, largest = threshold
        for r in 0..<runs where abs(z[r * size + k]) > largest { largest = abs(z[r * size + k]); worst = r }
        return worst
    }

    /// The largest |z| over runs at pixel `k`; nil where no run was tested.
    func largest(pixel k: Int) -> Float? {
        var m: Float = -1
        for r in 0..<runs where z[r * size + k].isFinite { m = max(m, abs(z[r * size + k])) }
        return m >= 0 ? m : nil
    }

    /// Run r's summed deviation, each pixel clipped at ±`clip`, over sqrt(tested pixels); NaN with none.
    func frameDeviation(run r: Int, clip: Float) -> Double {
        var sum = 0.0, n = 0
        for k in 0..<size where z[r * size + k].isFinite {
            sum += Double(min(max(z[r * size + k], -clip), clip)); n += 1
        }
        return n > 0 ? sum / Double(n).squareRoot() : .nan
    }
}
