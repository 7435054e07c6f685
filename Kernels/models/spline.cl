// Gpufit's cubic-spline models, as Sources/FitCore/Models/SplineModels.swift and
// Sources/FitCore/Splines/SplineEvaluation.swift: a template S, its coefficients in the table
// (Gpufit's layout, see SplineTable.swift), shifted, scaled and lifted onto a baseline.
//     FF_SPLINE_DIMENSIONS 1: f(x)    = A S(x - x0) + B                   parameters A, x0, B
//     FF_SPLINE_DIMENSIONS 2: f(x, y) = A S(x - x0, y - y0) + B           parameters A, x0, y0, B
//     FF_SPLINE_DIMENSIONS 3: f(x, y) = A S(x - x0, y - y0, z - z0) + B   parameters A, x0, y0, z0, B
// with z the point's slice: row / FF_SPLINE_SLICE_HEIGHT (0 when FF_SPLINE_SLICE_HEIGHT is 0).
// The host defines FF_SPLINE_INTERVALS_X, _Y, _Z and passes the table in the xs buffer, after
// the shared x values where there are any (FF_TABLE_OFFSET).
#define FF_TABLE 1

// The interval holding `position`, clamped to the first and last (their polynomials
// extrapolate, as in Gpufit), and the offset into it.
FF_INLINE int ff_spline_interval(real position, int count, real* offset) {
    const real floored = floor(position);
    const int index = !(floored >= (real)0) ? 0 : (floored >= (real)(count - 1) ? count - 1 : (int)floored);
    *offset = position - (real)index;
    return index;
}

// c0 + c1 t + c2 t^2 + c3 t^3, and its slope in t.
FF_INLINE real ff_cubic(real c0, real c1, real c2, real c3, real t, real* slope) {
    *slope = c1 + t * ((real)2 * c2 + (real)3 * t * c3);
    return c0 + t * (c1 + t * (c2 + t * c3));
}

FF_INLINE real ff_cubic_value(real c0, real c1, real c2, real c3, real t) {
    return c0 + t * (c1 + t * (c2 + t * c3));
}

#if FF_SPLINE_DIMENSIONS == 1
FF_INLINE real ff_model_table(const real* p, real x, real y, __global const real* table, real* d) {
    real u, slope;
    const int i = ff_spline_interval(x - p[1], FF_SPLINE_INTERVALS_X, &u);
    __global const real* q = table + i * 4;
    const real s = ff_cubic(q[0], q[1], q[2], q[3], u, &slope);
    d[0] = s;
    d[1] = -(p[0] * slope);
    d[2] = (real)1;
    return p[0] * s + p[2];
}
#elif FF_SPLINE_DIMENSIONS == 2
FF_INLINE real ff_model_table(const real* p, real x, real y, __global const real* table, real* d) {
    real u, v;
    const int i = ff_spline_interval(x - p[1], FF_SPLINE_INTERVALS_X, &u);
    const int j = ff_spline_interval(y - p[2], FF_SPLINE_INTERVALS_Y, &v);
    __global const real* q = table + (i * FF_SPLINE_INTERVALS_Y + j) * 16;
    // Along y first (the inner index), then along x.
    real r[4], ry[4];
    for (int a = 0; a < 4; a++) r[a] = ff_cubic(q[4 * a], q[4 * a + 1], q[4 * a + 2], q[4 * a + 3], v, &ry[a]);
    real sx;
    const real s = ff_cubic(r[0], r[1], r[2], r[3], u, &sx);
    const real sy = ff_cubic_value(ry[0], ry[1], ry[2], ry[3], u);
    d[0] = s;
    d[1] = -(p[0] * sx);
    d[2] = -(p[0] * sy);
    d[3] = (real)1;
    return p[0] * s + p[3];
}
#elif FF_SPLINE_DIMENSIONS == 3
FF_INLINE real ff_model_table(const real* p, real x, real y, __global const real* table, real* d) {
    real row = y, slice = (real)0;
#if FF_SPLINE_SLICE_HEIGHT > 0
    slice = floor(y / (real)FF_SPLINE_SLICE_HEIGHT);
    row = y - slice * (real)FF_SPLINE_SLICE_HEIGHT;
#endif
    real u, v, w;
    const int i = ff_spline_interval(x - p[1], FF_SPLINE_INTERVALS_X, &u);
    const int j = ff_spline_interval(row - p[2], FF_SPLINE_INTERVALS_Y, &v);
    const int k = ff_spline_interval(slice - p[3], FF_SPLINE_INTERVALS_Z, &w);
    __global const real* q = table + ((i * FF_SPLINE_INTERVALS_Y + j) * FF_SPLINE_INTERVALS_Z + k) * 64;
    // Each x order's block reduced along z then y, then the four blocks along x.
    real bv[4], by[4], bz[4];
    for (int a = 0; a < 4; a++) {
        real s[4], sz[4];
        for (int b = 0; b < 4; b++) {
            __global const real* c = q + a * 16 + b * 4;
            s[b] = ff_cubic(c[0], c[1], c[2], c[3], w, &sz[b]);
        }
        bv[a] = ff_cubic(s[0], s[1], s[2], s[3], v, &by[a]);
        bz[a] = ff_cubic_value(sz[0], sz[1], sz[2], sz[3], v);
    }
    real sx;
    const real value = ff_cubic(bv[0], bv[1], bv[2], bv[3], u, &sx);
    d[0] = value;
    d[1] = -(p[0] * sx);
    d[2] = -(p[0] * ff_cubic_value(by[0], by[1], by[2], by[3], u));
    d[3] = -(p[0] * ff_cubic_value(bz[0], bz[1], bz[2], bz[3], u));
    d[4] = (real)1;
    return p[0] * value + p[4];
}
#endif
