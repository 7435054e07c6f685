// Pixel-integrated isotropic 2D Gaussian, as Gauss2DPixelatedModel.swift: the Gaussian of peak
// height A integrated over each unit pixel with erf, for spots only a pixel or two wide.
// Parameters: 0 amplitude A, 1 x0, 2 y0, 3 sigma, 4 offset B.
//     f = 2 pi sigma^2 A Ix Iy + B,  Ix = [erf((x + 1/2 - x0) k) - erf((x - 1/2 - x0) k)] / 2,  k = 1/(sqrt 2 sigma)

// One axis: the integral, its derivative by the centre and by sigma.
FF_INLINE void ff_pixel_integral(real position, real centre, real k, real inverseSigma, real* value, real* byCentre, real* bySigma) {
    const real upper = (position + (real)0.5 - centre) * k;
    const real lower = (position - (real)0.5 - centre) * k;
    const real eUpper = ff_exp(-(upper * upper)), eLower = ff_exp(-(lower * lower));
    const real inverseSqrtPi = (real)0.56418958354775628695;
    *value = (erf(upper) - erf(lower)) * (real)0.5;
    *byCentre = k * inverseSqrtPi * (eLower - eUpper);
    *bySigma = inverseSqrtPi * inverseSigma * (lower * eLower - upper * eUpper);
}

FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    const real sigma = p[3];
    const real scale = (real)6.28318530717958647692 * sigma * sigma;
    const real inverseSigma = (real)1 / sigma;
    const real k = (real)0.70710678118654752440 * inverseSigma;
    real ix, ixc, ixs, iy, iyc, iys;
    ff_pixel_integral(x, p[1], k, inverseSigma, &ix, &ixc, &ixs);
    ff_pixel_integral(y, p[2], k, inverseSigma, &iy, &iyc, &iys);
    const real ixy = ix * iy;
    const real a = p[0] * scale;
    d[0] = scale * ixy;
    d[1] = a * ixc * iy;
    d[2] = a * ix * iyc;
    d[3] = p[0] * ((real)12.56637061435917295385 * sigma * ixy + scale * (ixs * iy + ix * iys));
    d[4] = (real)1;
    return a * ixy + p[4];
}
