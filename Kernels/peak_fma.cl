// The device's float32 FMA peak, for `femtofit bench`: every work-item runs chains of
// independent fused multiply-adds on float8 vectors (SIMD lanes on a CPU device; eight scalar
// chains on a GPU), enough of them to hide the FMA latency. 8 chains x 8 lanes x 2 flops = 128
// flops per pass of the loop.
__kernel void ff_peak_fma(__global float* sink, const int passes, const float seed) {
    const float s = seed + (float)get_global_id(0) * 1e-7f;
    float8 a0 = (float8)(s), a1 = a0 + 1.0f, a2 = a0 + 2.0f, a3 = a0 + 3.0f;
    float8 a4 = a0 + 4.0f, a5 = a0 + 5.0f, a6 = a0 + 6.0f, a7 = a0 + 7.0f;
    const float8 m = (float8)(0.999999f), c = (float8)(1e-6f);
    for (int i = 0; i < passes; i++) {
        a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
        a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
    }
    const float8 total = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    sink[get_global_id(0)] = total.s0 + total.s1 + total.s2 + total.s3 + total.s4 + total.s5 + total.s6 + total.s7;
}
