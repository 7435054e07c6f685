import Dispatch
import Foundation

/// The machine's single-precision FMA peak, measured in the same run as the workloads: every core
/// runs a loop of independent fused multiply-adds, with enough accumulators to hide the FMA
/// latency. The figure every CPU workload's efficiency is a fraction of.
///
/// Two loop shapes run and the faster counts, because no one shape fits every vector unit:
/// twelve 8-lane accumulators fill an AVX2 or NEON register file without spilling, twelve
/// 16-lane ones an AVX-512 file. (The 16-lane loop alone read about half the hardware peak on an
/// AVX2 EPYC, 48–163 against 177–182 GFLOP/s from `Kernels/peak_fma.cl`, which made every
/// "% peak" there twice too flattering.)
public enum PeakFMA {
    @inline(never)
    static func loop16(_ iterations: Int, _ seed: Float) -> Float {
        var a0 = SIMD16<Float>(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3
        var a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9
        var b0 = a0 + 10, b1 = a0 + 11
        let m = SIMD16<Float>(repeating: 0.999_999), c = SIMD16<Float>(repeating: 1e-6)
        for _ in 0..<iterations {
            a0 = c.addingProduct(a0, m); a1 = c.addingProduct(a1, m); a2 = c.addingProduct(a2, m)
            a3 = c.addingProduct(a3, m); a4 = c.addingProduct(a4, m); a5 = c.addingProduct(a5, m)
            a6 = c.addingProduct(a6, m); a7 = c.addingProduct(a7, m); a8 = c.addingProduct(a8, m)
            a9 = c.addingProduct(a9, m); b0 = c.addingProduct(b0, m); b1 = c.addingProduct(b1, m)
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + b0 + b1)[0]
    }

    @inline(never)
    static func loop8(_ iterations: Int, _ seed: Float) -> Float {
        var a0 = SIMD8<Float>(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3
        var a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9
        var b0 = a0 + 10, b1 = a0 + 11
        let m = SIMD8<Float>(repeating: 0.999_999), c = SIMD8<Float>(repeating: 1e-6)
        for _ in 0..<iterations {
            a0 = c.addingProduct(a0, m); a1 = c.addingProduct(a1, m); a2 = c.addingProduct(a2, m)
            a3 = c.addingProduct(a3, m); a4 = c.addingProduct(a4, m); a5 = c.addingProduct(a5, m)
            a6 = c.addingProduct(a6, m); a7 = c.addingProduct(a7, m); a8 = c.addingProduct(a8, m)
            a9 = c.addingProduct(a9, m); b0 = c.addingProduct(b0, m); b1 = c.addingProduct(b1, m)
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + b0 + b1)[0]
    }

    /// GFLOP/s over `threads` threads (an FMA counts as two flops), the best of `repeats` runs of
    /// each loop shape. `iterations` is for the 16-lane loop; the 8-lane loop runs twice as many,
    /// the same flops.
    public static func measure(threads: Int, iterations: Int = 20_000_000, repeats: Int = 3) -> Double {
        var best = 0.0
        let shapes: [(lanes: Int, loop: (Int, Float) -> Float)] = [(16, loop16), (8, loop8)]
        for _ in 0..<repeats {
            for shape in shapes {
                let passes = iterations * 16 / shape.lanes
                let start = DispatchTime.now().uptimeNanoseconds
                let sink = UnsafeMutablePointer<Float>.allocate(capacity: threads)
                DispatchQueue.concurrentPerform(iterations: threads) { t in sink[t] = shape.loop(passes, Float(t)) }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                best = max(best, Double(threads * passes) * 12 * Double(shape.lanes) * 2 / seconds / 1e9)
                sink.deallocate()
            }
        }
        return best
    }
}
