// Poisson maximum likelihood: the deviance 2 w [(f - z) - z ln(f / z)], computed without
// cancellation as in Sources/FitCore/Solver/PoissonDeviance.swift. Returns 1 where the model is
// not positive at a point that counts (w > 0): the fit cannot continue from there.
FF_INLINE int ff_estimator(real f, real z, real w, real* term, real* residualWeight, real* curvatureWeight) {
    // (A value that is not finite is that, FF_NON_FINITE_MODEL, not "not positive".)
    const int bad = isfinite(f) && !(f > (real)0) && w > (real)0;
    const real safe = fmax(f, (real)1e-30);
    const real inverseModel = (real)1 / safe;
    const real ratio = z * inverseModel;
    // Both branches as selects, not an if: a CPU device vectorises the point loop only then.
    const real zSafe = fmax(z, (real)1e-30);
    const real u = (safe - z) / zSafe;
    real series = (real)(-1.0 / 9);
    series = (real)(1.0 / 8) + series * u;
    series = (real)(-1.0 / 7) + series * u;
    series = (real)(1.0 / 6) + series * u;
    series = (real)(-1.0 / 5) + series * u;
    series = (real)(1.0 / 4) + series * u;
    series = (real)(-1.0 / 3) + series * u;
    series = (real)(1.0 / 2) + series * u;
    series = series * u * u;
    const real direct = u - ff_log(fmax((real)1 + u, (real)1e-30));  // u = inf where z = 0: not selected
    const real deviance = z > (real)0 ? (real)2 * z * (fabs(u) < (real)0.1 ? series : direct) : (real)2 * safe;
    *term = w * deviance;
    *residualWeight = w * (ratio - (real)1);
    *curvatureWeight = w * ratio * inverseModel;
    return bad;
}
