// Levenberg–Marquardt pieces shared by the two kernel strategies (fit_per_item.cl for CPU
// devices, fit_per_group.cl for GPUs). The algorithm is the reference's step for step
// (Sources/FitCore/Solver/ReferenceSolver.swift, ConvergenceTest.swift): Gpufit's variant of
// Madsen, Nielsen & Tingleff (2004), with LDL^T solves of the damped normal equations.

// Coordinates of point k: on a grid ROI (FF_GRID_WIDTH) its column and row, computed without an
// integer division (exact while k * width stays far below 2^24; larger ROIs divide), so that a
// flat pixel loop is what a CPU device vectorises; on a curve, its x (shared or per fit) and y = 0.
FF_INLINE void ff_point(int k, __global const real* xs, int fit, real* x, real* y) {
#if defined(FF_GRID_WIDTH) && FF_POINTS <= 4096
    *y = (real)(int)(((real)k + (real)0.5) * (real)(1.0 / FF_GRID_WIDTH));  // truncation: floor here
    *x = (real)k - *y * (real)FF_GRID_WIDTH;
#elif defined(FF_GRID_WIDTH)
    *y = (real)(k / FF_GRID_WIDTH);
    *x = (real)(k % FF_GRID_WIDTH);
#elif defined(FF_SHARED_X)
    *x = xs[k];  // a table model's table follows them (FF_TABLE_OFFSET)
    *y = (real)0;
#else
    *x = xs[(size_t)fit * FF_POINTS + k];
    *y = (real)0;
#endif
}

// An exponential model (FF_EXPONENTIAL: f = A exp(exponent) + B) gives its exponent and its
// value and derivatives from the exponential. One work-item per fit takes the exponentials in a
// loop of their own before the point loop: an exp inside the point loop, beside the 2 + P +
// P(P+1)/2 running sums, runs a CPU device out of vector registers (PoCL on AVX2: 166 k against
// 335 k fits/s on 15x15 GAUSS_2D).
#ifdef FF_EXPONENTIAL
FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    return ff_model_with(p, x, y, ff_exp(ff_exponent(p, x, y)), d);
}
#endif
#if defined(FF_EXPONENTIAL) && !defined(FF_PER_GROUP) && FF_POINTS <= 4096
#define FF_EXPONENTIAL_PASS 1
#else
#define FF_EXPONENTIAL_PASS 0
#endif

// Robust (sandwich) standard errors, least squares only: a last pass at the solution sums the
// "meat" (w r)^2 d d^T where the curvature sums w d d^T.
#ifdef FF_ROBUST
#define FF_ROBUST_ENABLED 1
#else
#define FF_ROBUST_ENABLED 0
#endif

// Adds one point's chi^2 term, gradient J^T W r and packed curvature J^T W J contributions (with
// `meat`, the sandwich's meat in place of the curvature). Returns 1 where the estimator refuses
// the model there (MLE: not positive at a counted point).
FF_INLINE int ff_add_point(real f, const real* d, real z, real w, int meat, real* sum, real* g, real* h) {
    real term, rw, cw;
    const int bad = ff_estimator(f, z, w, &term, &rw, &cw);
    if (FF_ROBUST_ENABLED && meat) cw = rw * rw;
#ifdef FF_WEIGHTED
    // A masked point (w = 0; its data zeroed on the host) adds nothing, even where the model
    // overflows. A select, not a branch, so a point loop stays vectorisable.
    if (w == (real)0) { term = (real)0; rw = (real)0; cw = (real)0; }
#endif
    *sum += term;
    #pragma unroll
    for (int i = 0; i < NP; i++) {
        g[i] += rw * d[i];
        const real cd = cw * d[i];
        #pragma unroll
        for (int j = 0; j <= i; j++) h[PACKED(i, j)] += cd * d[j];
    }
    return bad;
}

FF_INLINE real ff_weight(__global const real* weights, size_t index) {
#ifdef FF_WEIGHTED
    return weights[index];
#else
    return (real)1;
#endif
}

// The points a work-item takes: all of them (one work-item per fit), or every FF_GROUP_SIZE-th
// from its local id (one work-group per fit). Constants, so the loop below stays vectorisable.
#ifdef FF_PER_GROUP
#define FF_FIRST_POINT ((int)get_local_id(0))
#define FF_POINT_STEP FF_GROUP_SIZE
#else
#define FF_FIRST_POINT 0
#define FF_POINT_STEP 1
#endif

// chi^2, gradient and packed curvature at p over this work-item's points of one fit.
// The sums live in private arrays that the unrolled loops turn into registers, and the
// parameters are copied in, so nothing the point loop writes can alias them: the compiler hoists
// the model's per-fit constants, and a CPU device vectorises the loop over points.
static inline int ff_accumulate(const real* parameters, __global const real* data, __global const real* weights,
                                __global const real* xs, int fit, int meat, real* chi, real* gradient, real* curvature) {
    real p[NP], g[NP], h[NPACKED];
    #pragma unroll
    for (int i = 0; i < NP; i++) { p[i] = parameters[i]; g[i] = (real)0; }
    #pragma unroll
    for (int i = 0; i < NPACKED; i++) h[i] = (real)0;
    real sum = (real)0;
    int bad = 0, notFinite = 0;
    const size_t base = (size_t)fit * FF_POINTS;
#if FF_EXPONENTIAL_PASS
    real exponential[FF_POINTS];
    for (int k = 0; k < FF_POINTS; k++) {
        real x, y;
        ff_point(k, xs, fit, &x, &y);
        exponential[k] = ff_exp(ff_exponent(p, x, y));
    }
#endif
    for (int k = FF_FIRST_POINT; k < FF_POINTS; k += FF_POINT_STEP) {
        real x, y, d[NP];
        ff_point(k, xs, fit, &x, &y);
#if FF_EXPONENTIAL_PASS
        const real f = ff_model_with(p, x, y, exponential[k], d);
#elif defined(FF_TABLE)
        const real f = ff_model_table(p, x, y, xs + FF_TABLE_OFFSET, d);
#else
        const real f = ff_model(p, x, y, d);
#endif
        notFinite |= !isfinite(f);
        bad |= ff_add_point(f, d, data[base + k], ff_weight(weights, base + k), meat, &sum, g, h);
    }
    // A model value that is not finite anywhere, or a derivative (it shows in the sums), makes
    // chi^2 NaN: a start there is FF_NON_FINITE_MODEL, a trial step there is rejected.
    #pragma unroll
    for (int i = 0; i < NP; i++) notFinite |= !isfinite(g[i]) || !isfinite(h[PACKED(i, i)]);
    if (notFinite) sum = (real)NAN;
    #pragma unroll
    for (int i = 0; i < NP; i++) gradient[i] = g[i];
    #pragma unroll
    for (int i = 0; i < NPACKED; i++) curvature[i] = h[i];
    *chi = sum;
    return bad;
}

// The number of counted points (w > 0) and their sum of w z^2 (for the convergence floor), over
// this work-item's points of one fit (all of them, or its share of the group's: FF_FIRST_POINT).
static inline int ff_count_points(__global const real* data, __global const real* weights, int fit, real* signalSquares) {
    real squares = (real)0;
    int used = 0;
    for (int k = FF_FIRST_POINT; k < FF_POINTS; k += FF_POINT_STEP) {
        const size_t index = (size_t)fit * FF_POINTS + k;
        const real w = ff_weight(weights, index);
        if (w > (real)0) { squares += w * data[index] * data[index]; used++; }
    }
    *signalSquares = squares;
    return used;
}

// LDL^T of the packed matrix a, in place; returns 1 if a pivot is not positive or not finite
// (`zeroPivotOnly`: only if a pivot is exactly zero or not finite, Gpufit's test for a step).
static inline int ff_factorise(real* a, const int zeroPivotOnly) {
    int singular = 0;
    FF_UNROLL for (int j = 0; j < NP; j++) {
        real pivot = a[PACKED(j, j)];
        FF_UNROLL for (int k = 0; k < j; k++) { const real l = a[PACKED(j, k)]; pivot -= l * l * a[PACKED(k, k)]; }
        a[PACKED(j, j)] = pivot;
        if ((zeroPivotOnly ? pivot == (real)0 : !(pivot > (real)0)) || !isfinite(pivot)) singular = 1;
        const real inverse = (real)1 / pivot;
        FF_UNROLL for (int i = j + 1; i < NP; i++) {
            real s = a[PACKED(i, j)];
            FF_UNROLL for (int k = 0; k < j; k++) s -= a[PACKED(i, k)] * a[PACKED(j, k)] * a[PACKED(k, k)];
            a[PACKED(i, j)] = s * inverse;
        }
    }
    return singular;
}

// Solves L D L^T x = b in place.
// Reassociation stays off here: with -cl-unsafe-math-optimizations, PoCL 3.1 (LLVM 15) compiled
// these substitutions into wrong float32 steps (a GAUSS_1D step 40 % off the float64 one on a
// well-conditioned system, condition number 45; OpenCLAgreementTests.testTheStepMatchesTheReference).
// The solve runs once per iteration, not per point, so the point loop keeps the fast options.
// The pragma came with clang 12: NVIDIA's OpenCL compiler, clang-based but older, knows only
// "fp contract" and refuses the program otherwise (found on an H100, driver 580).
static inline void ff_solve(const real* a, real* b) {
#if defined(__clang__) && __clang_major__ >= 12
    #pragma clang fp reassociate(off)
#endif
    FF_UNROLL for (int i = 0; i < NP; i++) { real s = b[i]; FF_UNROLL for (int k = 0; k < i; k++) s -= a[PACKED(i, k)] * b[k]; b[i] = s; }
    FF_UNROLL for (int i = 0; i < NP; i++) b[i] = b[i] / a[PACKED(i, i)];
    FF_UNROLL for (int i = NP - 1; i >= 0; i--) { real s = b[i]; FF_UNROLL for (int k = i + 1; k < NP; k++) s -= a[PACKED(k, i)] * b[k]; b[i] = s; }
}

// Where the LM state that ff_step and ff_write_results read lives: private arrays of the one
// work-item of a fit, or local memory that work-item 0 of a fit's work-group keeps
// (fit_per_group.cl).
#ifdef FF_PER_GROUP
#define FF_LM_STATE __local
#else
#define FF_LM_STATE
#endif

// The damped step from p (scale: the running maximum of the curvature's diagonal): the trial
// parameters, clamped to the bounds. Returns 1 when the damped system is singular or the step is
// not finite.
static inline int ff_step(const FF_LM_STATE real* p, const FF_LM_STATE real* g, const FF_LM_STATE real* h,
                          const FF_LM_STATE real* scale, real lambda, const FF_LM_STATE real* lo, const FF_LM_STATE real* hi,
                          FF_LM_STATE real* trial) {
    real system[NPACKED], delta[NP];
    FF_UNROLL for (int i = 0; i < NP; i++) {
        FF_UNROLL for (int j = 0; j <= i; j++) {
            const int index = PACKED(i, j);
            if (IS_FIXED(i) || IS_FIXED(j)) system[index] = i == j ? (real)1 : (real)0;
            else if (i == j) system[index] = fma(lambda, scale[i], h[index]);
            else system[index] = h[index];
        }
        delta[i] = IS_FIXED(i) ? (real)0 : g[i];
    }
    int singular = ff_factorise(system, FF_ZERO_PIVOT_ONLY);
    ff_solve(system, delta);
    FF_UNROLL for (int i = 0; i < NP; i++) {
        if (!isfinite(delta[i])) singular = 1;
        trial[i] = IS_FIXED(i) ? p[i] : fmin(fmax(p[i] + delta[i], lo[i]), hi[i]);
    }
    return singular;
}

// Writes one fit's outputs: parameters, the diagonal of the inverse curvature over the free
// parameters (with FF_ROBUST, of the sandwich H^-1 M H^-1 with the meat M), NaN where unknown,
// state, chi^2, iterations and counted points.
static inline void ff_write_results(int fit, const FF_LM_STATE real* p, const FF_LM_STATE real* h, const FF_LM_STATE real* meat, int state, real chi, int iterations, int used,
                                    __global real* parameters, __global real* inverseDiagonal, __global int* states,
                                    __global real* chiSquares, __global int* iterationCounts, __global int* usedPoints) {
    real system[NPACKED], unit[NP];
    const size_t pbase = (size_t)fit * NP;
    FF_UNROLL for (int i = 0; i < NP; i++)
        FF_UNROLL for (int j = 0; j <= i; j++)
            system[PACKED(i, j)] = (IS_FIXED(i) || IS_FIXED(j)) ? (i == j ? (real)1 : (real)0) : h[PACKED(i, j)];
    const int curvatureSingular = ff_factorise(system, 0);
    const int known = !(state == FF_SINGULAR || state == FF_NEGATIVE_CURVATURE || state == FF_NON_FINITE_MODEL) && !curvatureSingular;
    FF_UNROLL for (int i = 0; i < NP; i++) {
        FF_UNROLL for (int k = 0; k < NP; k++) unit[k] = k == i ? (real)1 : (real)0;
        ff_solve(system, unit);  // column i of H^-1
        real variance = unit[i];
#ifdef FF_ROBUST
        // Column i of H^-1 through the meat, over the free parameters (fixed ones have no meat).
        variance = (real)0;
        FF_UNROLL for (int r = 0; r < NP; r++)
            FF_UNROLL for (int c = 0; c < NP; c++) {
                if (IS_FIXED(r) || IS_FIXED(c)) continue;
                variance += unit[r] * meat[r >= c ? PACKED(r, c) : PACKED(c, r)] * unit[c];
            }
#endif
        inverseDiagonal[pbase + i] = known ? variance : (real)NAN;
        parameters[pbase + i] = p[i];
    }
    states[fit] = state;
    chiSquares[fit] = chi;
    iterationCounts[fit] = iterations;
    usedPoints[fit] = used;
}

// The state of a fit whose start the estimator refuses or whose chi^2 is not finite.
#ifdef FF_MLE
#define FF_BAD_START FF_NEGATIVE_CURVATURE
#else
#define FF_BAD_START FF_SINGULAR
#endif
