// Elliptic 2D Cauchy peak (Gpufit's CAUCHY_2D_ELLIPTIC), as Cauchy2DEllipticModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 gamma_x, 4 gamma_y (half widths at half maximum), 5 offset B.
//     f(x, y) = A / ((1 + ((x - x0) / gamma_x)^2) (1 + ((y - y0) / gamma_y)^2)) + B
FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    const real inverseGammaX = (real)1 / p[3], inverseGammaY = (real)1 / p[4];
    const real u = (x - p[1]) * inverseGammaX, v = (y - p[2]) * inverseGammaY;
    const real rx = (real)1 / ((real)1 + u * u), ry = (real)1 / ((real)1 + v * v);
    const real e = rx * ry, ae = p[0] * e;
    const real su = (real)2 * u * rx, sv = (real)2 * v * ry;
    d[0] = e;
    d[1] = ae * su * inverseGammaX;
    d[2] = ae * sv * inverseGammaY;
    d[3] = ae * su * u * inverseGammaX;
    d[4] = ae * sv * v * inverseGammaY;
    d[5] = (real)1;
    return ae + p[5];
}
