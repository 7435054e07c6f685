// Strategy for CPU devices: one work-item per fit, fit-major data. The loop over a fit's points
// is the innermost loop, which a CPU device (PoCL) vectorises.
//
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
    real p[NP], trial[NP], lo[NP], hi[NP], g[NP], tg[NP], scale[NP];
    real h[NPACKED], th[NPACKED];
    for (int i = 0; i < NP; i++) { p[i] = start[pbase + i]; lo[i] = lower[pbase + i]; hi[i] = upper[pbase + i]; }

    real signalSquares;
    const int used = ff_count_points(data, weights, fit, &signalSquares);
    const real chiFloor = (real)FF_FLOOR_FRACTION * signalSquares;

    real chi;
    const int startBad = ff_accumulate(p, data, weights, xs, fit, 0, &chi, g, h);
    int state = FF_MAX_ITERATIONS, iterations = 0;
    if (startBad) {
        state = FF_BAD_START;
        chi = FF_HUGE;
    } else if (!isfinite(chi)) {
        state = FF_NON_FINITE_MODEL;
    } else {
        real lambda = (real)1e-3;
        int previousSmall = 0;
        for (int i = 0; i < NP; i++) scale[i] = h[PACKED(i, i)];
        for (int iteration = 1; iteration <= maxIterations; iteration++) {
            iterations = iteration;
            for (int i = 0; i < NP; i++) scale[i] = fmax(scale[i], h[PACKED(i, i)]);
            if (ff_step(p, g, h, scale, lambda, lo, hi, trial)) { state = FF_SINGULAR; break; }
            real trialChi;
            if (ff_accumulate(trial, data, weights, xs, fit, 0, &trialChi, tg, th)) {
                if (FF_STOP_ON_NEGATIVE_MODEL) { state = FF_NEGATIVE_CURVATURE; break; }
                trialChi = FF_HUGE;
            }
            const int small = FF_CHANGE_IS_SMALL(trialChi, chi, chiFloor, tolerance);
            const int accept = trialChi < chi;
            if (accept) {
                for (int i = 0; i < NP; i++) { p[i] = trial[i]; g[i] = tg[i]; }
                for (int i = 0; i < NPACKED; i++) h[i] = th[i];
                chi = trialChi;
                lambda *= (real)0.1;
            } else {
                lambda *= (real)10;
            }
            if (FF_HAS_CONVERGED(small, accept, previousSmall)) { state = FF_CONVERGED; break; }
            previousSmall = small;
        }
    }
#ifdef FF_ROBUST
    real meatChi;
    ff_accumulate(p, data, weights, xs, fit, 1, &meatChi, tg, th);  // th: the meat at the solution
#endif
    ff_write_results(fit, p, h, th, state, chi, iterations, used, parameters, inverseDiagonal, states, chiSquares,
                     iterationCounts, usedPoints);
}
