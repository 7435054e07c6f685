// 1D Gaussian (Gpufit's GAUSS_1D), as Gauss1DModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 sigma, 3 offset B.
//     f(x) = A exp(-(x - x0)^2 / (2 sigma^2)) + B
// An exponential model, as gauss2d.cl.
#define FF_EXPONENTIAL 1

FF_INLINE real ff_exponent(const real* p, real x, real y) {
    const real inverseSigma = (real)1 / p[2];
    const real dx = x - p[1];
    return dx * dx * inverseSigma * inverseSigma * (real)(-0.5);
}

FF_INLINE real ff_model_with(const real* p, real x, real y, real e, real* d) {
    const real inverseSigma = (real)1 / p[2];
    const real inverseVariance = inverseSigma * inverseSigma;
    const real dx = x - p[1];
    const real ae = p[0] * e;
    d[0] = e;
    d[1] = ae * dx * inverseVariance;
    d[2] = ae * dx * dx * inverseVariance * inverseSigma;
    d[3] = (real)1;
    return ae + p[3];
}
