// Elliptic 2D Gaussian (Gpufit's GAUSS_2D_ELLIPTIC), as Gauss2DEllipticModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma_x, 4 sigma_y, 5 offset B.
//     f(x, y) = A exp(-(x - x0)^2 / (2 sigma_x^2) - (y - y0)^2 / (2 sigma_y^2)) + B
// An exponential model, as gauss2d.cl.
#define FF_EXPONENTIAL 1

FF_INLINE real ff_exponent(const real* p, real x, real y) {
    const real inverseSigmaX = (real)1 / p[3], inverseSigmaY = (real)1 / p[4];
    const real u = (x - p[1]) * inverseSigmaX, v = (y - p[2]) * inverseSigmaY;
    return (u * u + v * v) * (real)(-0.5);
}

FF_INLINE real ff_model_with(const real* p, real x, real y, real e, real* d) {
    const real inverseSigmaX = (real)1 / p[3], inverseSigmaY = (real)1 / p[4];
    const real dx = x - p[1], dy = y - p[2];
    const real u = dx * inverseSigmaX * inverseSigmaX, v = dy * inverseSigmaY * inverseSigmaY;
    const real ae = p[0] * e;
    d[0] = e;
    d[1] = ae * u;
    d[2] = ae * v;
    d[3] = ae * u * dx * inverseSigmaX;
    d[4] = ae * v * dy * inverseSigmaY;
    d[5] = (real)1;
    return ae + p[5];
}
