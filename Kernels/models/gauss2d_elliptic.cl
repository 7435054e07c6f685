// Elliptic 2D Gaussian (Gpufit's GAUSS_2D_ELLIPTIC), as Gauss2DEllipticModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma_x, 4 sigma_y, 5 offset B.
//     f(x, y) = A exp(-(x - x0)^2 / (2 sigma_x^2) - (y - y0)^2 / (2 sigma_y^2)) + B
// Separable, as gauss2d.cl.
#define FF_SEPARABLE 1

FF_INLINE real ff_axis_factor(const real* p, real c, int axis) {
    const real inverseSigma = (real)1 / p[3 + axis];
    const real dc = c - p[1 + axis];
    return exp(dc * dc * inverseSigma * inverseSigma * (real)(-0.5));
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

FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    return ff_model_with(p, x, y, ff_axis_factor(p, x, 0) * ff_axis_factor(p, y, 1), d);
}
