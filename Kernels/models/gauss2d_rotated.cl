// Rotated elliptic 2D Gaussian (Gpufit's GAUSS_2D_ROTATED), as Gauss2DRotatedModel.swift.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma_x, 4 sigma_y, 5 offset B, 6 theta (radians).
//     xr = (x - x0) cos theta - (y - y0) sin theta,  yr = (x - x0) sin theta + (y - y0) cos theta
//     f(x, y) = A exp(-xr^2 / (2 sigma_x^2) - yr^2 / (2 sigma_y^2)) + B
// An exponential model, as gauss2d.cl.
#define FF_EXPONENTIAL 1

FF_INLINE real ff_exponent(const real* p, real x, real y) {
    const real c = cos(p[6]), s = sin(p[6]);
    const real inverseSigmaX = (real)1 / p[3], inverseSigmaY = (real)1 / p[4];
    const real dx = x - p[1], dy = y - p[2];
    const real xr = dx * c - dy * s, yr = dx * s + dy * c;
    const real u = xr * inverseSigmaX * inverseSigmaX, v = yr * inverseSigmaY * inverseSigmaY;
    return (u * xr + v * yr) * (real)(-0.5);
}

FF_INLINE real ff_model_with(const real* p, real x, real y, real e, real* d) {
    const real c = cos(p[6]), s = sin(p[6]);
    const real inverseSigmaX = (real)1 / p[3], inverseSigmaY = (real)1 / p[4];
    const real inverseVarianceX = inverseSigmaX * inverseSigmaX, inverseVarianceY = inverseSigmaY * inverseSigmaY;
    const real dx = x - p[1], dy = y - p[2];
    const real xr = dx * c - dy * s, yr = dx * s + dy * c;
    const real u = xr * inverseVarianceX, v = yr * inverseVarianceY;
    const real ae = p[0] * e;
    d[0] = e;
    d[1] = ae * (u * c + v * s);
    d[2] = ae * (v * c - u * s);
    d[3] = ae * u * xr * inverseSigmaX;
    d[4] = ae * v * yr * inverseSigmaY;
    d[5] = (real)1;
    d[6] = ae * xr * yr * (inverseVarianceX - inverseVarianceY);
    return ae + p[5];
}
