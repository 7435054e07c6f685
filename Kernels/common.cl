// femtofit OpenCL kernels: definitions shared by every model and estimator. Portable OpenCL C 1.2.
//
// The host prepends #defines before this file:
//   FF_PARAMETERS      parameters of the model
//   FF_POINTS          points per fit
//   FF_GRID_WIDTH      ROI width, for 2D models on a pixel grid (x = column, y = row), or
//   FF_SHARED_X        x values shared by every fit (one array of FF_POINTS), or
//   FF_PER_FIT_X       x values per fit (fitCount x FF_POINTS)
//   FF_WEIGHTED        weights are given (0 masks a point)
//   FF_DOUBLE          compute in float64 (needs cl_khr_fp64)
//   FF_FIXED_MASK      bit i set when parameter i is held fixed
//   FF_FLOOR_FRACTION  ConvergenceTest.floorFraction
//   FF_GPUFIT_CONVERGENCE  Gpufit's convergence test (ConvergenceRule.gpufit) instead of femtofit's
#ifdef FF_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
#define FF_HUGE HUGE_VAL
#else
typedef float real;
#define FF_HUGE HUGE_VALF
#endif

// For what sits inside the point loop: a call there stops a CPU device vectorising the loop, and
// "inline" alone is only a hint that PoCL's compiler declines for the larger estimators.
// Every helper is static: a plain C99 "inline" is only an inline definition, and where the
// compiler declines to inline it (ff_accumulate at 14 parameters in float64, clang 15) the kernel
// is left calling a function that no file defines.
#if defined(__clang__) || defined(__GNUC__)
#define FF_INLINE static inline __attribute__((always_inline))
#else
#define FF_INLINE static inline
#endif

// Full unrolling for the loops of the LM step over parameters (lm.cl): their bounds are known at
// compile time, and unrolled, every index into the step's small arrays is a constant, so a GPU
// keeps them in registers. Left rolled, NVIDIA puts an array indexed at run time in off-chip
// local memory (a 104-byte stack per work-item for gauss2d; scripts/gpu-kernel-report). Only for
// the group strategy: one work-item per fit (CPU devices) keeps its loops as they are.
#ifdef FF_PER_GROUP
#define FF_UNROLL _Pragma("unroll")
#else
#define FF_UNROLL
#endif

#define NP FF_PARAMETERS
#define NPACKED (NP * (NP + 1) / 2)
// Element (i, j), i >= j, of a symmetric matrix kept as its packed lower triangle.
#define PACKED(i, j) ((i) * ((i) + 1) / 2 + (j))
#define IS_FIXED(i) ((FF_FIXED_MASK >> (i)) & 1)

// The convergence test (ConvergenceTest in FitCore). femtofit's: the change is small relative to
// chi^2 (floored at FF_FLOOR_FRACTION x sum w z^2), and a small change from a rejected step counts
// only after another small change. Gpufit's: small relative to max(1, trial chi^2), any step.
#ifdef FF_GPUFIT_CONVERGENCE
#define FF_CHANGE_IS_SMALL(trialChi, chi, chiFloor, tolerance) (fabs((trialChi) - (chi)) < (tolerance) * fmax((real)1, (trialChi)))
#define FF_HAS_CONVERGED(small, accept, previousSmall) (small)
// Gpufit's rules for a step (as ReferenceSolver and the CPU backend apply them under
// ConvergenceRule.gpufit): the damped system is singular only at an exact zero pivot, and under
// MLE a trial step that makes the model non-positive ends the fit (state 3).
#define FF_ZERO_PIVOT_ONLY 1
#ifdef FF_MLE
#define FF_STOP_ON_NEGATIVE_MODEL 1
#else
#define FF_STOP_ON_NEGATIVE_MODEL 0
#endif
#else
#define FF_ZERO_PIVOT_ONLY 0
#define FF_STOP_ON_NEGATIVE_MODEL 0
#define FF_CHANGE_IS_SMALL(trialChi, chi, chiFloor, tolerance) (fabs((trialChi) - (chi)) < (tolerance) * fmax((chiFloor), (chi)))
#define FF_HAS_CONVERGED(small, accept, previousSmall) ((small) && ((accept) || (previousSmall)))
#endif

// States, as FitState's raw values.
#define FF_CONVERGED 0
#define FF_MAX_ITERATIONS 1
#define FF_SINGULAR 2
#define FF_NEGATIVE_CURVATURE 3
// The model or a derivative not finite at the start values (FitState.nonFiniteModel).
#define FF_NON_FINITE_MODEL 7

#ifdef FF_DOUBLE
#define ff_log log
#define ff_exp exp
#else
// exp(x): Cephes' expf polynomial after a 2^n range reduction, as the CPU backend's SIMD exp
// (FitLane+SIMD16Float.swift); about 2 ulp. Arguments are clamped to [-87.3, 88], so the result
// is never inf and underflows only to ~1e-38. Inline with explicit fmas: PoCL's own expf is a
// chain of separate multiplies and adds, the longest path in a vectorised point loop.
FF_INLINE float ff_exp(float x) {
    const float clamped = fmin(fmax(x, -87.3f), 88.0f);
    const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer (rint is not inline on PoCL)
    const float t = fma(clamped, 1.44269504088896341f, shifter);
    const float n = t - shifter;
    float r = fma(n, -0.693359375f, clamped);
    r = fma(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fma(p, r, 1.3981999507e-3f);
    p = fma(p, r, 8.3334519073e-3f);
    p = fma(p, r, 4.1665795894e-2f);
    p = fma(p, r, 1.6666665459e-1f);
    p = fma(p, r, 5.0000001201e-1f);
    p = fma(p, r * r, r + 1.0f);
    return p * as_float((as_int(t) - as_int(shifter) + 127) << 23);
}

// log(x) for normal x > 0: Cephes' logf polynomial on the mantissa in [sqrt(1/2), sqrt 2), as the
// CPU backend's SIMD log (FitLane+SIMD16Float.swift). Inline and branch-free, so a CPU device
// vectorises the point loop around it (PoCL calls its own logf out of line, which does not).
FF_INLINE float ff_log(float x) {
    const int bits = as_int(x);
    int exponent = (bits >> 23) - 126;
    float m = as_float((bits & 0x007FFFFF) | 0x3F000000);  // in [0.5, 1)
    const int small = m < 0.70710678118654752440f;
    exponent -= small;
    m = small ? m + m - 1.0f : m - 1.0f;
    const float z = m * m;
    float p = 7.0376836292e-2f;
    p = fma(p, m, -1.1514610310e-1f);
    p = fma(p, m, 1.1676998740e-1f);
    p = fma(p, m, -1.2420140846e-1f);
    p = fma(p, m, 1.4249322787e-1f);
    p = fma(p, m, -1.6668057665e-1f);
    p = fma(p, m, 2.0000714765e-1f);
    p = fma(p, m, -2.4999993993e-1f);
    p = fma(p, m, 3.3333331174e-1f);
    float y = p * m * z;
    const float e = (float)exponent;
    y = fma(e, -2.12194440e-4f, y);
    y = fma(z, -0.5f, y);
    return fma(e, 0.693359375f, m + y);
}
#endif

// exp(x^2) erfc(x) for x >= 0 (the kinetics and runtime models): the float32 lane's polynomial in q = (x - 4)/(x + 4)
// (scripts/fit-erfcx.py), with the quotient and the division each corrected by its residual.
FF_INLINE real ff_erfcx(real x) {
    const real reciprocal = (real)1 / (x + (real)4);
    real q = (x - (real)4) * reciprocal;
    const real remainder = fma(-q, x, fma(q + (real)1, (real)(-4), x));
    q = fma(reciprocal, remainder, q);
    real p = (real)1.142113442e-04;
    p = fma(p, q, (real)(-2.484351446e-04));
    p = fma(p, q, (real)(-7.091415086e-04));
    p = fma(p, q, (real)5.082265614e-03);
    p = fma(p, q, (real)(-1.623038306e-02));
    p = fma(p, q, (real)3.714046226e-02);
    p = fma(p, q, (real)(-6.631904825e-02));
    p = fma(p, q, (real)9.374020411e-02);
    p = fma(p, q, (real)(-1.010409399e-01));
    p = fma(p, q, (real)6.809617513e-02);
    p = fma(p, q, (real)1.537976866e-02);
    p = fma(p, q, (real)(-1.396210865e-01));
    p = fma(p, q, (real)2.329951174e-01);
    const real inverseTwoXPlusOne = (real)0.5 / (x + (real)0.5);
    const real quotient = fma(p, inverseTwoXPlusOne, inverseTwoXPlusOne);
    const real residual = (p - quotient) + fma(quotient + quotient, -x, (real)1);
    return fma(residual, inverseTwoXPlusOne, quotient);
}
