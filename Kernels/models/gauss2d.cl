// Isotropic 2D Gaussian (Gpufit's GAUSS_2D), as Sources/FitCore/Models/Gauss2DModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma, 4 offset B.
//     f(x, y) = A exp(-((x - x0)^2 + (y - y0)^2) / (2 sigma^2)) + B
// Separable: on a grid the exponential is a column factor times a row factor, one exp per
// column and per row instead of one per pixel (lm.cl builds the tables).
#define FF_SEPARABLE 1

// exp(-(c - centre)^2 / (2 sigma^2)) along axis 0 (x, columns) or 1 (y, rows).
FF_INLINE real ff_axis_factor(const real* p, real c, int axis) {
    const real inverseSigma = (real)1 / p[3];
    const real dc = c - p[1 + axis];
    return exp(dc * dc * inverseSigma * inverseSigma * (real)(-0.5));
}

// The model and its derivatives given e, the product of the two axis factors at (x, y).
FF_INLINE real ff_model_with(const real* p, real x, real y, real e, real* d) {
    const real inverseSigma = (real)1 / p[3];
    const real inverseVariance = inverseSigma * inverseSigma;
    const real dx = x - p[1], dy = y - p[2];
    const real r2 = dx * dx + dy * dy;
    const real ae = p[0] * e;
    const real aeOverVariance = ae * inverseVariance;
    d[0] = e;
    d[1] = aeOverVariance * dx;
    d[2] = aeOverVariance * dy;
    d[3] = aeOverVariance * r2 * inverseSigma;
    d[4] = (real)1;
    return ae + p[4];
}

FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    return ff_model_with(p, x, y, ff_axis_factor(p, x, 0) * ff_axis_factor(p, y, 1), d);
}
