// Isotropic 2D Gaussian (Gpufit's GAUSS_2D), as Sources/FitCore/Models/Gauss2DModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma, 4 offset B.
//     f(x, y) = A exp(-((x - x0)^2 + (y - y0)^2) / (2 sigma^2)) + B
inline real ff_model(const real* p, real x, real y, real* d) {
    const real inverseSigma = (real)1 / p[3];
    const real inverseVariance = inverseSigma * inverseSigma;
    const real dx = x - p[1], dy = y - p[2];
    const real r2 = dx * dx + dy * dy;
    const real e = exp(r2 * inverseVariance * (real)(-0.5));
    const real ae = p[0] * e;
    const real aeOverVariance = ae * inverseVariance;
    d[0] = e;
    d[1] = aeOverVariance * dx;
    d[2] = aeOverVariance * dy;
    d[3] = aeOverVariance * r2 * inverseSigma;
    d[4] = (real)1;
    return ae + p[4];
}
