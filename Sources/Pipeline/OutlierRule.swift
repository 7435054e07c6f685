import FitCore
import Foundation
import Synchronization
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

    /// The calibration for `moves.count` runs, each moved by its registration shift (nil: not
    /// moved). Only a shift's fractional part changes the noise, so moves are rounded to 0.01 px
    /// (registration's precision) and the Monte Carlo is run on the rounded ones: the same moves give the same thresholds,
    /// whichever series asks first. One Monte Carlo runs at a time (it uses every core); a series
    /// that needs one being made waits for it.
    public static func calibration(moves: [(dx: Double, dy: Double)?]) -> Calibration {
        let rounded = moves.map { move -> (dx: Double, dy: Double)? in
            guard let move else { return nil }
            func fraction(_ v: Double) -> Double { Double(Int(((v - v.rounded(.down)) * 100).rounded()) % 100) / 100 }
            return (fraction(move.dx), fraction(move.dy))
        }
        let key = rounded.map { $0.map { "\($0.dx),\($0.dy)" } ?? "-" }.joined(separator: ";")
        makingLock.lock()
        defer { makingLock.unlock() }
        if let known = cache.withLock({ $0[key] }) { return known }
        let made = simulate(moves: rounded)
        cache.withLock { $0[key] = made }
        return made
    }

    static let cache = Mutex<[String: Calibration]>([:])
    static let makingLock = NSLock()

    /// The Monte Carlo (10^7 run pixels): unit Gaussian noise in 64x64 frames for each run, moved
    /// as the runs were, then the statistic. The pixel threshold is the quantile of the largest
    /// |z| per pixel away from the edge (which a move leaves short); the frame spread is over
    /// whole frames, as the frame test sees them. Only the tails are kept: every |z| beyond
    /// `tail` is far below any threshold, and a frame's clipped sum is its plain sum corrected by
    /// its values beyond the threshold. The frames are made in `parts` seeded parts, side by side
    /// on the cores, so the result does not depend on how many there are.
    static func simulate(moves: [(dx: Double, dy: Double)?]) -> Calibration {
        let runs = moves.count, side = 64, size = side * side, tail: Float = 3, parts = 8
        let interior = (0..<size).filter { k in
            let x = k % side, y = k / side
            return x >= 2 && y >= 2 && x < side - 2 && y < side - 2
        }
        let framesPerPart = max(5, Int((1e7 / Double(runs * interior.count * parts)).rounded(.up)))
        /// One part's tails: pixels tested, their largest |z| beyond `tail`; per run frame the
        /// plain sum of z, the pixels tested, and each |z| beyond `tail`.
        struct Part {
            var pixelCount = 0, largestTail: [Float] = []
            var frameSums: [Double] = [], frameCounts: [Int] = [], frameTail: [(frame: Int, z: Float)] = []
        }
        let results = Mutex([Part?](repeating: nil, count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var random = SeededRandom(seed: 0x0071E5 &+ UInt64(runs) &+ 0x1000 &* UInt64(part))
            var statistic = OutlierStatistic(), made = Part()
            var noise = [Float](repeating: 0, count: size)
            for _ in 0..<framesPerPart {
                let frames = moves.map { move -> [Float] in
                    for k in stride(from: 0, to: size, by: 2) {
                        let (a, b) = random.normalPair()
                        noise[k] = Float(a); noise[k + 1] = Float(b)
                    }
                    guard let move else { return noise }
                    return Registration.apply(noise, width: side, height: side, dx: -move.dx, dy: -move.dy)
                }
                statistic.compute(frames, width: side, height: side)
                for k in interior {
                    guard let m = statistic.largest(pixel: k) else { continue }
                    made.pixelCount += 1
                    if m > tail { made.largestTail.append(m) }
                }
                statistic.z.withUnsafeBufferPointer { z in
                    for r in 0..<runs {
                        var sum = 0.0, n = 0
                        for k in (r * size)..<((r + 1) * size) where z[k].isFinite {
                            sum += Double(z[k]); n += 1
                            if abs(z[k]) > tail { made.frameTail.append((made.frameSums.count, z[k])) }
                        }
                        made.frameSums.append(sum); made.frameCounts.append(n)
                    }
                }
            }
            results.withLock { $0[part] = made }
        }
        let all = results.withLock { $0 }.compactMap { $0 }
        // At most one rejection per pixel: P(max T > threshold) = runs x the rate per run pixel.
        let largestTail = all.flatMap(\.largestTail).sorted()
        let pixelCount = all.reduce(0) { $0 + $1.pixelCount }
        let above = max(1, Int((Double(pixelCount) * Double(runs) * falseRate).rounded(.up)))
        precondition(above <= largestTail.count, "the outlier calibration's tail bound is above its threshold")
        let threshold = largestTail[largestTail.count - above]
        var deviations: [Double] = []
        for part in all {
            var sums = part.frameSums
            for (frame, z) in part.frameTail where abs(z) > threshold {
                sums[frame] -= Double(z) - Double(min(max(z, -threshold), threshold))
            }
            for i in sums.indices where part.frameCounts[i] > 0 { deviations.append(sums[i] / Double(part.frameCounts[i]).squareRoot()) }
        }
        let mean = deviations.reduce(0, +) / Double(deviations.count)
        let spread = (deviations.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(deviations.count - 1)).squareRoot()
        return Calibration(pixelThreshold: threshold, frameSpread: spread)
    }
}
