// Weighted least squares: chi^2 = sum w (z - f)^2. Sets the point's chi^2 term and the weights
// of its gradient (w r) and curvature (w) contributions; returns 0 (a model value is never bad).
FF_INLINE int ff_estimator(real f, real z, real w, real* term, real* residualWeight, real* curvatureWeight) {
    const real r = z - f;
    const real wr = w * r;
    *term = wr * r;
    *residualWeight = wr;
    *curvatureWeight = w;
    return 0;
}
