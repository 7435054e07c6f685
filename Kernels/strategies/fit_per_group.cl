// Strategy for GPUs: one work-group of FF_GROUP_SIZE work-items per fit. Work-item t takes
// points t, t + FF_GROUP_SIZE, ... of the fit (consecutive work-items read consecutive addresses:
// coalesced loads of fit-major data), the partial sums meet in local memory, and work-item 0
// runs the small LM step (the damped LDL^T solve, acceptance, convergence) while the others wait.
// With FF_ROBUST one more pass at the solution sums the sandwich's meat.
//
// Control flow around barriers is uniform: every work-item runs the same loop, which it leaves
// only at its head, through a flag work-item 0 wrote before the barrier all have passed (PoCL
// 3.1 hangs on a data-dependent break out of a loop with barriers).
//
// Arguments as ff_fit_per_item (fit_per_item.cl).
#define NSUMS (2 + NP + NPACKED)  // chi^2, the refusal flag, the gradient, the packed curvature
// Sum s of work-item t sits at s * SUM_STRIDE + t. One slot more than the group size, so that in
// the reduction, where work-item s reads sum s, the work-items of a wave read different banks of
// local memory (with a stride of 64 words all would hit one bank: a 22-way conflict at P = 5).
#define SUM_STRIDE (FF_GROUP_SIZE + 1)

__kernel __attribute__((reqd_work_group_size(FF_GROUP_SIZE, 1, 1)))
void ff_fit_per_group(__global const real* data, __global const real* weights, __global const real* xs,
                      __global const real* start, __global const real* lower, __global const real* upper,
                      __global const int* skip, __global real* parameters, __global real* inverseDiagonal,
                      __global int* states, __global real* chiSquares, __global int* iterationCounts,
                      __global int* usedPoints, const int fitCount, const int maxIterations, const real tolerance) {
    __local real partial[NSUMS * SUM_STRIDE];
    __local real evaluateAt[NP];  // where the next pass evaluates: the start, each trial step, the solution
    // Work-item 0's LM state: parameters, bounds, gradient, curvature, the damping's scale and the
    // robust errors' meat. It lives in local memory, not in registers: registers are allocated
    // alike for every work-item, and holding the state through the point loop would cost each of
    // them 5 NP + NPACKED registers, and a GPU occupancy (scripts/gpu-kernel-report). The step
    // (ff_step, FF_LM_STATE) reads it from there into the registers of its unrolled solve.
    __local real keptP[NP], keptLo[NP], keptHi[NP], keptG[NP], keptScale[NP], keptH[NPACKED], keptMeat[NPACKED];
    __local int running;
    const int fit = (int)get_group_id(0);
    const int t = (int)get_local_id(0);
    // The whole group leaves together (fit is the same for all its work-items).
    if (fit >= fitCount || skip[fit]) return;
    const size_t pbase = (size_t)fit * NP;

    // Work-item 0's scalars of the LM state.
    real chi = (real)0, chiFloor = (real)0, lambda = (real)1e-3;
    int state = FF_MAX_ITERATIONS, iterations = 0, used = 0, previousSmall = 0, first = 1;
    // Every work-item counts its points and their sum of w z^2; work-items 0 and 1 add up the
    // group's totals (one lane counting all the points cost ~15 % of a fit's instructions on a GPU).
    {
        real signalSquares;
        const int counted = ff_count_points(data, weights, fit, &signalSquares);
        partial[t] = signalSquares;
        partial[SUM_STRIDE + t] = (real)counted;  // exact: FF_POINTS is far below 2^24
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = t; s < 2; s += FF_GROUP_SIZE) {
        real total = (real)0;
        for (int u = 0; u < FF_GROUP_SIZE; u++) total += partial[s * SUM_STRIDE + u];
        partial[s * SUM_STRIDE] = total;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t == 0) {
        FF_UNROLL for (int i = 0; i < NP; i++) {
            keptP[i] = start[pbase + i]; keptLo[i] = lower[pbase + i]; keptHi[i] = upper[pbase + i];
            evaluateAt[i] = keptP[i];
        }
        used = (int)partial[SUM_STRIDE];
        chiFloor = (real)FF_FLOOR_FRACTION * partial[0];
        running = 1;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    // running: 1, an LM pass at evaluateAt; 2, the robust errors' meat at the solution; 0, done.
    int go = running;
    while (go) {
        const int meat = go == 2;
        // Every work-item: its points' sums at evaluateAt.
        real q[NP], sg[NP], sh[NPACKED], sum;
        FF_UNROLL for (int i = 0; i < NP; i++) q[i] = evaluateAt[i];
        const int bad = ff_accumulate(q, data, weights, xs, fit, meat, &sum, sg, sh);
        partial[t] = sum;
        partial[SUM_STRIDE + t] = bad ? (real)1 : (real)0;
        FF_UNROLL for (int i = 0; i < NP; i++) partial[(2 + i) * SUM_STRIDE + t] = sg[i];
        FF_UNROLL for (int i = 0; i < NPACKED; i++) partial[(2 + NP + i) * SUM_STRIDE + t] = sh[i];
        barrier(CLK_LOCAL_MEM_FENCE);
        // Each sum is added up by one work-item, into its first slot.
        for (int s = t; s < NSUMS; s += FF_GROUP_SIZE) {
            real total = (real)0;
            for (int u = 0; u < FF_GROUP_SIZE; u++) total += partial[s * SUM_STRIDE + u];
            partial[s * SUM_STRIDE] = total;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (t == 0 && meat) {
            FF_UNROLL for (int i = 0; i < NPACKED; i++) keptMeat[i] = partial[(2 + NP + i) * SUM_STRIDE];
            running = 0;
        } else if (t == 0) {
            // evaluateAt holds the trial step this pass evaluated; the step writes the next there.
            real newChi = partial[0];
            const int newBad = partial[SUM_STRIDE] > (real)0;
            int done = 0;
            if (first) {
                // The start: refused or not finite ends the fit, as in fit_per_item.cl.
                first = 0;
                chi = newBad ? FF_HUGE : newChi;
                FF_UNROLL for (int i = 0; i < NP; i++) keptG[i] = partial[(2 + i) * SUM_STRIDE];
                FF_UNROLL for (int i = 0; i < NPACKED; i++) keptH[i] = partial[(2 + NP + i) * SUM_STRIDE];
                if (newBad) { state = FF_BAD_START; done = 1; }
                else if (!isfinite(chi)) { state = FF_NON_FINITE_MODEL; done = 1; }
                FF_UNROLL for (int i = 0; i < NP; i++) keptScale[i] = keptH[PACKED(i, i)];
            } else if (newBad && FF_STOP_ON_NEGATIVE_MODEL) {
                state = FF_NEGATIVE_CURVATURE;
                done = 1;
            } else {
                const real trialChi = newBad ? FF_HUGE : newChi;
                const int small = FF_CHANGE_IS_SMALL(trialChi, chi, chiFloor, tolerance);
                const int accept = trialChi < chi;
                if (accept) {
                    FF_UNROLL for (int i = 0; i < NP; i++) { keptP[i] = evaluateAt[i]; keptG[i] = partial[(2 + i) * SUM_STRIDE]; }
                    FF_UNROLL for (int i = 0; i < NPACKED; i++) keptH[i] = partial[(2 + NP + i) * SUM_STRIDE];
                    chi = trialChi;
                    lambda *= (real)0.1;
                } else {
                    lambda *= (real)10;
                }
                if (FF_HAS_CONVERGED(small, accept, previousSmall)) { state = FF_CONVERGED; done = 1; }
                previousSmall = small;
            }
            if (!done && iterations == maxIterations) done = 1;  // state stays FF_MAX_ITERATIONS
            if (!done) {
                iterations++;
                FF_UNROLL for (int i = 0; i < NP; i++) keptScale[i] = fmax(keptScale[i], keptH[PACKED(i, i)]);
                if (ff_step(keptP, keptG, keptH, keptScale, lambda, keptLo, keptHi, evaluateAt)) { state = FF_SINGULAR; done = 1; }
            }
            running = !done ? 1 : FF_ROBUST_ENABLED ? 2 : 0;
            if (done) FF_UNROLL for (int i = 0; i < NP; i++) evaluateAt[i] = keptP[i];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        go = running;
    }
    if (t == 0) {
        ff_write_results(fit, keptP, keptH, keptMeat, state, chi, iterations, used, parameters, inverseDiagonal, states, chiSquares,
                         iterationCounts, usedPoints);
    }
}
