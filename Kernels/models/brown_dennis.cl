// Brown and Dennis's function (Gpufit's BROWN_DENNIS), as BrownDennisModel.swift: the point with
// index x sits at t = x / 5.
// Parameters: 0 x1, 1 x2, 2 x3, 3 x4.
//     u = x1 + x2 t - e^t,  v = x3 + x4 sin t - cos t,  f = u^2 + v^2
FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    const real t = x * (real)0.2;
    const real s = sin(t);
    const real u = p[0] + p[1] * t - exp(t);
    const real v = p[2] + p[3] * s - cos(t);
    d[0] = (real)2 * u;
    d[1] = (real)2 * t * u;
    d[2] = (real)2 * v;
    d[3] = (real)2 * s * v;
    return u * u + v * v;
}
