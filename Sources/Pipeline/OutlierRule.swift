import FitCore
import Foundation
import TAMData

/// Outlier rejection between runs, calibrated on its own null distribution (3 runs or more).
///
/// Per pixel, each run is compared with the mean of the other runs, in units of the other runs'
/// scatter (their sample variance, pooled over the 5x5 square around the pixel without the pixel
/// itself, so that neither the outlier nor one noisy pixel sets its own yardstick):
/// T = |x_i - mean of the others| / sqrt(s^2 (1 + 1/(n-1))). At most one run per pixel is
/// rejected, the one with the largest T, when that T exceeds the threshold.
///
/// With a handful of runs that statistic is far from Gaussian (s comes from few degrees of
/// freedom), and registration's bilinear move smooths the moved runs' noise and correlates
/// neighbouring pixels. So the threshold is not a number of sigmas taken on faith: it is the
/// quantile of T's distribution on pure noise put through the same runs, moves and statistic
/// (a Monte Carlo of 10 million run pixels, seeded, once per run count and moves), chosen so
/// that `falseRate` of clean run pixels are rejected. The Monte Carlo's noise is Gaussian: ΔT/T
/// from low counts (about 100 per pixel and frame, where the pump-off frame in the ratio's
/// denominator fluctuates by 10 %) has heavier tails, and there the rate measured is ~4e-5;
/// from 1000 counts up it is within 1.5x of the stated one (`OutlierRuleTests`).
///
/// Per frame, a bad exposure or a burst of hits moves a whole run's frame: the run's deviations
/// from the others (each clipped at the pixel threshold, so one hot pixel does not decide) are
/// summed over the frame, scaled by the same Monte Carlo's spread of that sum, and a frame more
/// than `frameSigmas` of it away is left out of the average, with a note. Frames under 8 pixels a
/// side are not frame-tested.
public enum OutlierRule {
    /// The share of clean run pixels the per-pixel rule rejects, by construction.
    public static let falseRate = 1e-5
    /// How far (in its null standard deviations) a run frame's summed deviation must be.
    public static let frameSigmas = 6.0

    /// The thresholds for one set of runs.
    public struct Calibration: Sendable, Equatable {
        /// T above which a run pixel is rejected.
        public var pixelThreshold: Float
        /// Null standard deviation of a run frame's summed clipped deviation over sqrt(pixels).
        public var frameSpread: Double
    }

    /// What the statistic says about one delay's run frames.
    struct Statistics {
        /// Signed deviation of each run's pixel in units of its yardstick; NaN where untested.
        var z: [[Float]]
    }

    /// Half the side of the square the yardstick is pooled over (5x5).
    static let poolRadius = 2

    /// The signed statistic of every run pixel of `frames` (runs x pixels, NaN for missing).
    /// The yardstick of run i at a pixel is the mean, over the 5x5 square around it without the
    /// pixel itself, of the other runs' sample variance: the pixel is left out so that an
    /// outlier in another run there does not hide it, and the mean of ~24 pixels' scatter gives a
    /// steady yardstick from as few as two other runs. An outlier in run j inflates the other
    /// runs' yardsticks around it, which only makes them harder to reject.
    static func statistics(_ frames: [[Float]], width: Int, height: Int) -> Statistics {
        let runs = frames.count, size = width * height
        var counts = [Int32](repeating: 0, count: size)
        var sums = [Double](repeating: 0, count: size), squares = sums
        for r in 0..<runs {
            frames[r].withUnsafeBufferPointer { f in
                for k in 0..<size where f[k].isFinite {
                    let v = Double(f[k]); counts[k] += 1; sums[k] += v; squares[k] += v * v
                }
            }
        }
        var z = [[Float]](repeating: [Float](repeating: .nan, count: size), count: runs)
        // Summed-area tables of the leave-one-out variance (and of where it exists), per run.
        let w1 = width + 1
        var table = [Double](repeating: 0, count: w1 * (height + 1)), known = table
        var loo = [Double](repeating: .nan, count: size), looMean = loo
        for r in 0..<runs {
            for k in 0..<size {
                let n = Int(counts[k]), v = Double(frames[r][k])
                guard n >= 3, v.isFinite else { loo[k] = .nan; continue }
                let m = (sums[k] - v) / Double(n - 1)
                looMean[k] = m
                loo[k] = max(0, (squares[k] - v * v - Double(n - 1) * m * m) / Double(n - 2))
            }
            for y in 0..<height {
                var row = 0.0, rowKnown = 0.0
                for x in 0..<width {
                    let v = loo[y * width + x]
                    if v.isFinite { row += v; rowKnown += 1 }
                    table[(y + 1) * w1 + x + 1] = table[y * w1 + x + 1] + row
                    known[(y + 1) * w1 + x + 1] = known[y * w1 + x + 1] + rowKnown
                }
            }
            for y in 0..<height {
                let y0 = max(0, y - poolRadius), y1 = min(height, y + poolRadius + 1)
                for x in 0..<width {
                    let k = y * width + x
                    guard loo[k].isFinite else { continue }
                    let x0 = max(0, x - poolRadius), x1 = min(width, x + poolRadius + 1)
                    let total = table[y1 * w1 + x1] - table[y0 * w1 + x1] - table[y1 * w1 + x0] + table[y0 * w1 + x0] - loo[k]
                    let number = known[y1 * w1 + x1] - known[y0 * w1 + x1] - known[y1 * w1 + x0] + known[y0 * w1 + x0] - 1
                    guard number > 0, total > 0 else { continue }
                    let n = Double(counts[k])
                    z[r][k] = Float((Double(frames[r][k]) - looMean[k]) / (total / number * (1 + 1 / (n - 1))).squareRoot())
                }
            }
        }
        return Statistics(z: z)
    }

    /// The run (index) to reject at pixel `k`, if any.
    static func rejected(_ statistics: Statistics, pixel k: Int, threshold: Float) -> Int? {
        var worst: Int?, largest: Float = threshold
        for r in statistics.z.indices where abs(statistics.z[r][k]) > largest { largest = abs(statistics.z[r][k]); worst = r }
        return worst
    }

    /// A run frame's summed clipped deviation over sqrt(tested pixels); NaN with none tested.
    static func frameDeviation(_ z: [Float], clip: Float) -> Double {
        var sum = 0.0, n = 0
        for v in z where v.isFinite { sum += Double(min(max(v, -clip), clip)); n += 1 }
        return n > 0 ? sum / Double(n).squareRoot() : .nan
    }

    /// The calibration for `moves.count` runs, each moved by its registration shift (nil: not
    /// moved). Only a shift's fractional part changes the noise, so moves are keyed to 0.05 px.
    public static func calibration(moves: [(dx: Double, dy: Double)?]) -> Calibration {
        let key = moves.map { move -> String in
            guard let move else { return "-" }
            func fraction(_ v: Double) -> Int { Int(((v - v.rounded(.down)) * 20).rounded()) % 20 }
            return "\(fraction(move.dx)),\(fraction(move.dy))"
        }.joined(separator: ";")
        cacheLock.lock()
        if let known = cache[key] { cacheLock.unlock(); return known }
        cacheLock.unlock()
        let made = simulate(moves: moves)
        cacheLock.lock()
        cache[key] = made
        cacheLock.unlock()
        return made
    }

    nonisolated(unsafe) static var cache: [String: Calibration] = [:]
    static let cacheLock = NSLock()

    /// The Monte Carlo (10^7 run pixels): unit Gaussian noise in 64x64 frames for each run, moved as the runs were,
    /// then the statistic; pixels within 2 of the edge (which a move leaves short) are left out.
    static func simulate(moves: [(dx: Double, dy: Double)?]) -> Calibration {
        let runs = moves.count, side = 64, size = side * side
        let interior = (0..<size).filter { k in
            let x = k % side, y = k / side
            return x >= 2 && y >= 2 && x < side - 2 && y < side - 2
        }
        let frameCount = max(40, Int((1e7 / Double(runs * interior.count)).rounded(.up)))
        var random = SeededRandom(seed: 0x0071E5 &+ UInt64(runs))
        var largest: [Float] = []
        largest.reserveCapacity(frameCount * interior.count)
        var kept: [[Float]] = []
        for _ in 0..<frameCount {
            let frames = moves.map { move -> [Float] in
                let noise = (0..<size).map { _ in Float(random.normal()) }
                guard let move else { return noise }
                return Registration.apply(noise, width: side, height: side, dx: -move.dx, dy: -move.dy)
            }
            let s = statistics(frames, width: side, height: side)
            for k in interior {
                var m: Float = 0
                var tested = false
                for r in 0..<runs where s.z[r][k].isFinite { m = max(m, abs(s.z[r][k])); tested = true }
                if tested { largest.append(m) }
            }
            for r in 0..<runs { kept.append(interior.map { s.z[r][$0] }) }
        }
        // At most one rejection per pixel: P(max T > threshold) = runs x the rate per run pixel.
        largest.sort()
        let index = min(largest.count - 1, Int((Double(largest.count) * (1 - Double(runs) * falseRate)).rounded(.down)))
        let threshold = largest[max(0, index)]
        let deviations = kept.map { frameDeviation($0, clip: threshold) }.filter(\.isFinite)
        let mean = deviations.reduce(0, +) / Double(deviations.count)
        let spread = (deviations.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(deviations.count - 1)).squareRoot()
        return Calibration(pixelThreshold: threshold, frameSpread: spread)
    }
}
