// Isotropic 2D Gaussian (Gpufit's GAUSS_2D), as Sources/FitCore/Models/Gauss2DModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma, 4 offset B.
//     f(x, y) = A exp(-((x - x0)^2 + (y - y0)^2) / (2 sigma^2)) + B
// An exponential model (FF_EXPONENTIAL): lm.cl may take the exponentials in a pass of their own.
#define FF_EXPONENTIAL 1

// The exponent at (x, y): f = A exp(exponent) + B.
FF_INLINE real ff_exponent(const real* p, real x, real y) {
    const real inverseSigma = (real)1 / p[3];
    const real dx = x - p[1], dy = y - p[2];
    return (dx * dx + dy * dy) * inverseSigma * inverseSigma * (real)(-0.5);
}

// The model and its derivatives given e = exp(exponent) at (x, y).
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
