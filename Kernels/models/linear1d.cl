// A straight line (Gpufit's LINEAR_1D), as Linear1DModel.swift.
// Parameters: 0 offset, 1 slope.      f(x) = offset + slope x
FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    d[0] = (real)1;
    d[1] = x;
    return p[0] + p[1] * x;
}
