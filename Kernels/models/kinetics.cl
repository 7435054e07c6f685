// Kinetics of one pixel or wavelength across delay frames, as
// Sources/FitCore/Models/KineticsModel.swift: FF_EXPONENTIALS (1 to 4) exponential decays
// convolved with a Gaussian instrument response, plus an offset, and with FF_COHERENT_ARTIFACT
// the coherent artefact. x is the delay.
// Parameters: amplitude_1, tau_1, ..., amplitude_n, tau_n, then t0, irf_sigma s, offset, and with
// the artefact c_0, c_1, c_2.
//     f(t) = sum_i A_i/2 exp(-(t - t0)/tau_i + s^2/(2 tau_i^2)) [1 + erf(u_i)] + offset
//            [+ c_0 h_0 + c_1 h_1 + c_2 h_2],
//     u_i = (t - t0)/(sqrt 2 s) - s/(sqrt 2 tau_i),  g = (t - t0)/s,
//     h_0 = E = exp(-g^2/2), h_1 = -g E, h_2 = (g^2 - 1) E  (E and its time derivatives times s, s^2),
// with dh_k/dg = h_(k+1), h_3 = g (3 - g^2) E.
// in the stable form with E = exp(-(t - t0)^2/(2 s^2)) and the scaled complementary error
// function erfcx, so no exponential argument is positive where it is used:
//     u < 0:  exp(a)(1 + erf u) = E erfcx(-u);   u >= 0: 2 exp(a) - E erfcx(u), a <= 0 there.

// ff_erfcx (common.cl): exp(x^2) erfc(x) for x >= 0.

FF_INLINE real ff_model(const real* p, real x, real y, real* d) {
    const int n = 2 * FF_EXPONENTIALS;
    const real t0 = p[n], irf = p[n + 1];
    const real rootHalf = (real)0.70710678118654752440, inverseSqrtPi = (real)0.56418958354775628695;
    const real inverseIRF = (real)1 / irf;
    const real tp = x - t0;
    const real tpOverS = tp * inverseIRF;
    const real e = ff_exp(tpOverS * tpOverS * (real)(-0.5));
    real value = p[n + 2], byT0 = (real)0, byIRF = (real)0;
    #pragma unroll
    for (int c = 0; c < FF_EXPONENTIALS; c++) {
        const real amplitude = p[2 * c];
        const real inverseTau = (real)1 / p[2 * c + 1];
        const real sOverTau = irf * inverseTau;
        const real u = (tpOverS - sOverTau) * rootHalf;
        const real a = sOverTau * sOverTau * (real)0.5 - tp * inverseTau;
        const real eX = e * ff_erfcx(fabs(u));
        const real expA = ff_exp(fmin(a, (real)80));
        const real g = u < (real)0 ? eX : (real)2 * expA - eX;
        const real halfG = g * (real)0.5;
        const real eTerm = inverseSqrtPi * e * amplitude;
        value += amplitude * halfG;
        d[2 * c] = halfG;
        d[2 * c + 1] = amplitude * halfG * (tp - irf * sOverTau) * inverseTau * inverseTau
            + eTerm * rootHalf * sOverTau * inverseTau;
        byT0 += amplitude * halfG * inverseTau - eTerm * rootHalf * inverseIRF;
        byIRF += amplitude * halfG * sOverTau * inverseTau - eTerm * rootHalf * (tpOverS * inverseIRF + inverseTau);
    }
#ifdef FF_COHERENT_ARTIFACT
    {
        const real g = tpOverS, gg = tpOverS * tpOverS;
        const real h1 = -g * e, h2 = (gg - (real)1) * e, h3 = g * ((real)3 - gg) * e;
        const real c0 = p[n + 3], c1 = p[n + 4], c2 = p[n + 5];
        value += c0 * e + c1 * h1 + c2 * h2;
        const real q = c0 * h1 + c1 * h2 + c2 * h3;
        byT0 -= q * inverseIRF;
        byIRF -= g * q * inverseIRF;
        d[n + 3] = e;
        d[n + 4] = h1;
        d[n + 5] = h2;
    }
#endif
    d[n] = byT0;
    d[n + 1] = byIRF;
    d[n + 2] = (real)1;
    return value;
}
