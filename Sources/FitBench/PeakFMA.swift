import Dispatch
import Foundation

/// The machine's single-precision FMA peak, measured in the same run as the workloads: every core
/// runs a loop of independent fused multiply-adds on 16-lane vectors, enough accumulators to hide
/// the FMA latency. The figure every workload's efficiency is a fraction of.
///
/// Known limit: sized for AVX-512 (32 registers). On an AVX2-only CPU its 24 register-wide
/// accumulators spill and it reads typically half the hardware peak and varies widely (48 to 163,
/// mostly 83-96, against 177-182 GFLOP/s from `Kernels/peak_fma.cl` on a 2-core AVX2 EPYC), so
/// fractions of peak there are flattering and noisy. The fix goes with 8-lane float32 CPU lanes for AVX2 (benchmarks/README.md).
public enum PeakFMA {
    @inline(never)
    static func loop(_ iterations: Int, _ seed: Float) -> SIMD16<Float> {
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
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + b0 + b1
    }

    /// GFLOP/s over `threads` threads (an FMA counts as two flops), best of `repeats`.
    public static func measure(threads: Int, iterations: Int = 20_000_000, repeats: Int = 3) -> Double {
        var best = 0.0
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let sink = UnsafeMutablePointer<Float>.allocate(capacity: threads)
            DispatchQueue.concurrentPerform(iterations: threads) { t in sink[t] = loop(iterations, Float(t))[0] }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, Double(threads * iterations) * 12 * 16 * 2 / seconds / 1e9)
            sink.deallocate()
        }
        return best
    }
}
