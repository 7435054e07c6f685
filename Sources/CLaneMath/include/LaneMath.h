// Compare, select, minimum and maximum on whole vectors, for the CPU backend's SIMD lanes.
//
// Swift's generic SIMD comparisons, `replacing(with:where:)` and `pointwiseMin/Max` came out here
// as per-lane scalar loops or out-of-line calls inside the hot loop. These static inline functions
// on clang vectors (which Swift imports as SIMD16<Float>, SIMD8<Double> and their integer twins)
// are inlined into the Swift code and compile to single vector instructions on every target.
// Masks are integer vectors: all ones where true, zero where false.
#ifndef FEMTOFIT_LANE_MATH_H
#define FEMTOFIT_LANE_MATH_H

typedef float ff_float16 __attribute__((ext_vector_type(16)));
typedef int ff_int16 __attribute__((ext_vector_type(16)));
typedef double ff_double8 __attribute__((ext_vector_type(8)));
typedef long ff_long8 __attribute__((ext_vector_type(8)));

#define FF_INLINE static inline __attribute__((always_inline))

FF_INLINE ff_int16 ff_lt_f16(ff_float16 a, ff_float16 b) { return a < b; }
FF_INLINE ff_int16 ff_eq_f16(ff_float16 a, ff_float16 b) { return a == b; }
FF_INLINE ff_float16 ff_select_f16(ff_int16 m, ff_float16 a, ff_float16 b) {
    return (ff_float16)((m & (ff_int16)a) | (~m & (ff_int16)b));
}
FF_INLINE ff_float16 ff_min_f16(ff_float16 a, ff_float16 b) { return ff_select_f16(b < a, b, a); }
FF_INLINE ff_float16 ff_max_f16(ff_float16 a, ff_float16 b) { return ff_select_f16(b > a, b, a); }
FF_INLINE ff_int16 ff_finite_f16(ff_float16 x) {
    ff_float16 magnitude = (ff_float16)((ff_int16)x & 0x7fffffff);
    return magnitude < (ff_float16)__builtin_inff();
}
FF_INLINE int ff_any_i16(ff_int16 m) { return __builtin_reduce_or(m) != 0; }

// The two middle values of the `n` finite floats at `v` (the (n-1)/2-th and n/2-th smallest,
// equal for odd n), by counting ranks: the k-th smallest is the largest value with at most k
// values below it. Every value is compared with up to 64 candidates at a time, four registers
// (n^2/16 vector compares, no branch on the data), which for a ROI's border of a few dozen
// values is several times faster than a selection whose comparisons a branch predictor cannot
// guess. `v` holds n values and then +inf up to a multiple of 16 (padding lanes are never a
// middle value).
FF_INLINE void ff_middle_pair(const float *v, long n, float *lower, float *upper) {
    const long k1 = (n - 1) / 2, k2 = n / 2;
    const ff_float16 none = (ff_float16)(-__builtin_inff());
    ff_float16 low = none, high = none;
    // Up to 64 candidates a sweep (four registers), so each value is broadcast once per sweep.
    for (long c = 0; c < n; c += 64) {
        ff_float16 c0, c1 = none, c2 = none, c3 = none;
        __builtin_memcpy(&c0, v + c, sizeof c0);
        if (c + 16 < n) __builtin_memcpy(&c1, v + c + 16, sizeof c1);
        if (c + 32 < n) __builtin_memcpy(&c2, v + c + 32, sizeof c2);
        if (c + 48 < n) __builtin_memcpy(&c3, v + c + 48, sizeof c3);
        ff_int16 b0 = 0, b1 = 0, b2 = 0, b3 = 0;  // minus the count of values below each candidate
        for (long j = 0; j < n; j++) {
            const ff_float16 x = (ff_float16)v[j];
            b0 += x < c0; b1 += x < c1; b2 += x < c2; b3 += x < c3;
        }
        const ff_int16 m1 = (ff_int16)(int)-k1, m2 = (ff_int16)(int)-k2;
        low = ff_max_f16(low, ff_max_f16(ff_max_f16(ff_select_f16(b0 >= m1, c0, none), ff_select_f16(b1 >= m1, c1, none)),
                                         ff_max_f16(ff_select_f16(b2 >= m1, c2, none), ff_select_f16(b3 >= m1, c3, none))));
        high = ff_max_f16(high, ff_max_f16(ff_max_f16(ff_select_f16(b0 >= m2, c0, none), ff_select_f16(b1 >= m2, c1, none)),
                                           ff_max_f16(ff_select_f16(b2 >= m2, c2, none), ff_select_f16(b3 >= m2, c3, none))));
    }
    *lower = __builtin_reduce_max(low);
    *upper = __builtin_reduce_max(high);
}

FF_INLINE ff_long8 ff_lt_d8(ff_double8 a, ff_double8 b) { return a < b; }
FF_INLINE ff_double8 ff_select_d8(ff_long8 m, ff_double8 a, ff_double8 b) {
    return (ff_double8)((m & (ff_long8)a) | (~m & (ff_long8)b));
}
FF_INLINE ff_double8 ff_min_d8(ff_double8 a, ff_double8 b) { return ff_select_d8(b < a, b, a); }
FF_INLINE ff_double8 ff_max_d8(ff_double8 a, ff_double8 b) { return ff_select_d8(b > a, b, a); }
FF_INLINE ff_long8 ff_finite_d8(ff_double8 x) {
    ff_double8 magnitude = (ff_double8)((ff_long8)x & 0x7fffffffffffffffL);
    return magnitude < (ff_double8)__builtin_inf();
}
FF_INLINE int ff_any_l8(ff_long8 m) { return __builtin_reduce_or(m) != 0; }

#endif
