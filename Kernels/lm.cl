// Levenberg–Marquardt, one work-item per fit, fit-major data: the strategy meant for CPU devices
// (on PoCL 3.1 it runs at about scalar speed so far: benchmarks/README.md). The algorithm is the reference's step for
// step (Sources/FitCore/Solver/ReferenceSolver.swift, ConvergenceTest.swift): Gpufit's variant
// of Madsen, Nielsen & Tingleff (2004), with LDL^T solves of the damped normal equations.

// x of point k of a curve (grid ROIs take x and y from their row and column loops).
inline real ff_x(int k, __global const real* xs, int fit) {
#if defined(FF_SHARED_X)
    return xs[k];
#else
    return xs[(size_t)fit * FF_POINTS + k];
#endif
}

#if defined(FF_GRID_WIDTH)
// Grid coordinates of point k without an integer division: exact while k * width stays far
// below 2^24 (larger ROIs divide). A flat pixel loop is what a CPU device vectorises.
inline void ff_grid_point(int k, real* x, real* y) {
#if FF_POINTS <= 4096
    *y = (real)(int)(((real)k + (real)0.5) * (real)(1.0 / FF_GRID_WIDTH));  // truncation: floor here
    *x = (real)k - *y * (real)FF_GRID_WIDTH;
#else
    *y = (real)(k / FF_GRID_WIDTH);
    *x = (real)(k % FF_GRID_WIDTH);
#endif
}
#endif

// chi^2, gradient J^T W r and packed curvature J^T W J at p. Returns 1 where the estimator
// refuses the model (MLE: not positive at a counted point). The sums live in private arrays that
// the unrolled loops turn into registers, and the parameters are copied in, so nothing the pixel
// loop writes can alias them: the compiler hoists the model's per-fit constants and a CPU device
// vectorises the loop over points.
inline int ff_accumulate(const real* parameters, __global const real* data, __global const real* weights,
                         __global const real* xs, int fit, real* chi, real* gradient, real* curvature) {
    real p[NP], g[NP], h[NPACKED];
    #pragma unroll
    for (int i = 0; i < NP; i++) { p[i] = parameters[i]; g[i] = (real)0; }
    #pragma unroll
    for (int i = 0; i < NPACKED; i++) h[i] = (real)0;
    real sum = (real)0;
    int bad = 0;
    const size_t base = (size_t)fit * FF_POINTS;
#if defined(FF_SEPARABLE) && defined(FF_GRID_WIDTH)
    // A separable model's axis factors, once per column and per row.
    real columnFactor[FF_GRID_WIDTH], rowFactor[FF_POINTS / FF_GRID_WIDTH];
    for (int c = 0; c < FF_GRID_WIDTH; c++) columnFactor[c] = ff_axis_factor(p, (real)c, 0);
    for (int r = 0; r < FF_POINTS / FF_GRID_WIDTH; r++) rowFactor[r] = ff_axis_factor(p, (real)r, 1);
#endif
    for (int k = 0; k < FF_POINTS; k++) {
#if defined(FF_GRID_WIDTH)
        real x, y;
        ff_grid_point(k, &x, &y);
#else
        const real x = ff_x(k, xs, fit), y = (real)0;
#endif
#ifdef FF_WEIGHTED
        const real w = weights[base + k];
#else
        const real w = (real)1;
#endif
        real d[NP];
#if defined(FF_SEPARABLE) && defined(FF_GRID_WIDTH)
        const real f = ff_model_with(p, x, y, columnFactor[(int)x] * rowFactor[(int)y], d);
#else
        const real f = ff_model(p, x, y, d);
#endif
        real term, rw, cw;
        bad |= ff_estimator(f, data[base + k], w, &term, &rw, &cw);
#ifdef FF_WEIGHTED
        // A masked point (w = 0; its data zeroed on the host) adds nothing, even where the model
        // overflows. A select, not a branch, so the loop stays vectorisable.
        if (w == (real)0) { term = (real)0; rw = (real)0; cw = (real)0; }
#endif
        sum += term;
        #pragma unroll
        for (int i = 0; i < NP; i++) {
            g[i] += rw * d[i];
            const real cd = cw * d[i];
            #pragma unroll
            for (int j = 0; j <= i; j++) h[PACKED(i, j)] += cd * d[j];
        }
    }
    #pragma unroll
    for (int i = 0; i < NP; i++) gradient[i] = g[i];
    #pragma unroll
    for (int i = 0; i < NPACKED; i++) curvature[i] = h[i];
    *chi = sum;
    return bad;
}

// LDL^T of the packed matrix a, in place; returns 1 if a pivot is not positive or not finite.
inline int ff_factorise(real* a) {
    int singular = 0;
    for (int j = 0; j < NP; j++) {
        real pivot = a[PACKED(j, j)];
        for (int k = 0; k < j; k++) { const real l = a[PACKED(j, k)]; pivot -= l * l * a[PACKED(k, k)]; }
        a[PACKED(j, j)] = pivot;
        if (!(pivot > (real)0) || !isfinite(pivot)) singular = 1;
        const real inverse = (real)1 / pivot;
        for (int i = j + 1; i < NP; i++) {
            real s = a[PACKED(i, j)];
            for (int k = 0; k < j; k++) s -= a[PACKED(i, k)] * a[PACKED(j, k)] * a[PACKED(k, k)];
            a[PACKED(i, j)] = s * inverse;
        }
    }
    return singular;
}

// Solves L D L^T x = b in place.
inline void ff_solve(const real* a, real* b) {
    for (int i = 0; i < NP; i++) { real s = b[i]; for (int k = 0; k < i; k++) s -= a[PACKED(i, k)] * b[k]; b[i] = s; }
    for (int i = 0; i < NP; i++) b[i] = b[i] / a[PACKED(i, i)];
    for (int i = NP - 1; i >= 0; i--) { real s = b[i]; for (int k = i + 1; k < NP; k++) s -= a[PACKED(k, i)] * b[k]; b[i] = s; }
}

// Per fit in: data, weights (or a dummy), x values (or a dummy), start, lower, upper, skip (1 for
// fits whose input was invalid: they are left to the host). Per fit out: parameters, the diagonal
// of the inverse curvature (NaN where unknown), state, chi^2, iterations, counted points.
__kernel void ff_fit_per_item(__global const real* data, __global const real* weights, __global const real* xs,
                              __global const real* start, __global const real* lower, __global const real* upper,
                              __global const int* skip, __global real* parameters, __global real* inverseDiagonal,
                              __global int* states, __global real* chiSquares, __global int* iterationCounts,
                              __global int* usedPoints, const int fitCount, const int maxIterations, const real tolerance) {
    const int fit = (int)get_global_id(0);
    if (fit >= fitCount || skip[fit]) return;
    const size_t pbase = (size_t)fit * NP;
    real p[NP], trial[NP], lo[NP], hi[NP], g[NP], tg[NP], delta[NP], scale[NP];
    real h[NPACKED], th[NPACKED], system[NPACKED];
    for (int i = 0; i < NP; i++) { p[i] = start[pbase + i]; lo[i] = lower[pbase + i]; hi[i] = upper[pbase + i]; }

    // The floor of the convergence test and the number of counted points.
    real signalSquares = (real)0;
    int used = 0;
    for (int k = 0; k < FF_POINTS; k++) {
#ifdef FF_WEIGHTED
        const real w = weights[(size_t)fit * FF_POINTS + k];
#else
        const real w = (real)1;
#endif
        if (w > (real)0) { const real z = data[(size_t)fit * FF_POINTS + k]; signalSquares += w * z * z; used++; }
    }
    const real chiFloor = (real)FF_FLOOR_FRACTION * signalSquares;

    real chi;
    const int startBad = ff_accumulate(p, data, weights, xs, fit, &chi, g, h);
    if (startBad) chi = FF_HUGE;
    int state = FF_MAX_ITERATIONS, iterations = 0;
    if (startBad || !isfinite(chi)) {
#ifdef FF_MLE
        state = FF_NEGATIVE_CURVATURE;
#else
        state = FF_SINGULAR;
#endif
    } else {
        real lambda = (real)1e-3;
        int previousSmall = 0;
        for (int i = 0; i < NP; i++) scale[i] = h[PACKED(i, i)];
        for (int iteration = 1; iteration <= maxIterations; iteration++) {
            iterations = iteration;
            for (int i = 0; i < NP; i++) scale[i] = fmax(scale[i], h[PACKED(i, i)]);
            for (int i = 0; i < NP; i++) {
                for (int j = 0; j <= i; j++) {
                    const int index = PACKED(i, j);
                    if (IS_FIXED(i) || IS_FIXED(j)) system[index] = i == j ? (real)1 : (real)0;
                    else if (i == j) system[index] = fma(lambda, scale[i], h[index]);
                    else system[index] = h[index];
                }
                delta[i] = IS_FIXED(i) ? (real)0 : g[i];
            }
            int stepSingular = ff_factorise(system);
            ff_solve(system, delta);
            for (int i = 0; i < NP; i++) {
                if (!isfinite(delta[i])) stepSingular = 1;
                trial[i] = IS_FIXED(i) ? p[i] : fmin(fmax(p[i] + delta[i], lo[i]), hi[i]);
            }
            if (stepSingular) { state = FF_SINGULAR; break; }
            real trialChi;
            if (ff_accumulate(trial, data, weights, xs, fit, &trialChi, tg, th)) trialChi = FF_HUGE;
            const int small = fabs(trialChi - chi) < tolerance * fmax(chiFloor, chi);
            const int accept = trialChi < chi;
            if (accept) {
                for (int i = 0; i < NP; i++) { p[i] = trial[i]; g[i] = tg[i]; }
                for (int i = 0; i < NPACKED; i++) h[i] = th[i];
                chi = trialChi;
                lambda *= (real)0.1;
            } else {
                lambda *= (real)10;
            }
            if (small && (accept || previousSmall)) { state = FF_CONVERGED; break; }
            previousSmall = small;
        }
    }

    // The diagonal of the inverse curvature at the solution, over the free parameters.
    for (int i = 0; i < NP; i++)
        for (int j = 0; j <= i; j++)
            system[PACKED(i, j)] = (IS_FIXED(i) || IS_FIXED(j)) ? (i == j ? (real)1 : (real)0) : h[PACKED(i, j)];
    const int curvatureSingular = ff_factorise(system);
    const int known = !(state == FF_SINGULAR || state == FF_NEGATIVE_CURVATURE) && !curvatureSingular;
    for (int i = 0; i < NP; i++) {
        for (int k = 0; k < NP; k++) delta[k] = k == i ? (real)1 : (real)0;
        ff_solve(system, delta);
        inverseDiagonal[pbase + i] = known ? delta[i] : (real)NAN;
        parameters[pbase + i] = p[i];
    }
    states[fit] = state;
    chiSquares[fit] = chi;
    iterationCounts[fit] = iterations;
    usedPoints[fit] = used;
}
