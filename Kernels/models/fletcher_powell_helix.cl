// Fletcher and Powell's helical valley (Gpufit's FLETCHER_POWELL_HELIX), as
// FletcherPowellHelixModel.swift: three points indexed by x = 0, 1, 2; 0 at any other x.
// Parameters: 0 x1, 1 x2, 2 x3. theta = atan(x2 / x1) / (2 pi) (+ 1/2 where x1 < 0, 0 where
// x1 = 0), r = sqrt(x1^2 + x2^2):
//     f(0) = 10 (x3 - 10 theta),  f(1) = 10 (r - 1),  f(2) = x3.   pi is Gpufit's 3.14159.
FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    const real pi = (real)3.14159;
    const real theta = p[0] > (real)0 ? (real)0.5 * atan(p[1] / p[0]) / pi
                     : p[0] < (real)0 ? (real)0.5 * atan(p[1] / p[0]) / pi + (real)0.5 : (real)0;
    const real square = p[0] * p[0] + p[1] * p[1];
    const real radius = sqrt(square);
    const int atZero = x < (real)0.5, atOne = !atZero && x < (real)1.5, atTwo = !(x < (real)1.5) && x < (real)2.5;
    const real slope = (real)100 / ((real)2 * pi) / square;
    d[0] = atZero ? slope * p[1] : atOne ? (real)10 * p[0] / radius : (real)0;
    d[1] = atZero ? -slope * p[0] : atOne ? (real)10 * p[1] / radius : (real)0;
    d[2] = atZero ? (real)10 : atTwo ? (real)1 : (real)0;
    return atZero ? (real)10 * (p[2] - (real)10 * theta) : atOne ? (real)10 * (radius - (real)1) : atTwo ? p[2] : (real)0;
}
