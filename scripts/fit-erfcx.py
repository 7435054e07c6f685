#!/usr/bin/env python3
"""Fits the polynomial behind the float32 erfcx in Sources/FitCore/Lanes/FitLane+SIMD16Float.swift.

With q = (x - 4)/(x + 4), which maps x in [0, inf) onto q in [-1, 1), the function
(1 + 2x) erfcx(x) - 1 is smooth in q. A least-squares Chebyshev fit of degree 12 on Chebyshev
nodes, converted to monomial coefficients for Horner's rule, has relative error ~3e-9 in float64;
the script then emulates the float32 evaluation (with its fma corrections) and prints the worst
error in ulps over [0, 1e30]. Needs numpy and scipy.
"""
import numpy as np
from numpy.polynomial import chebyshev
from scipy.special import erfcx

K, DEGREE, NODES = 4.0, 12, 4000
f32 = np.float32


def fma(a, b, c):
    return f32(np.float64(a) * np.float64(b) + np.float64(c))


def coefficients():
    q = np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES)
    q = q[q < 0.9999999]
    x = K * (1 + q) / (1 - q)
    fit = chebyshev.chebfit(q, (1 + 2 * x) * erfcx(x) - 1, DEGREE)
    return chebyshev.cheb2poly(fit)


def erfcx_float32(x, monomials):
    x = f32(x)
    reciprocal = f32(f32(1) / f32(x + f32(K)))
    q = f32(f32(x - f32(K)) * reciprocal)
    remainder = fma(q, -x, fma(f32(q + f32(1)), f32(-K), x))
    q = fma(reciprocal, remainder, q)
    p = monomials[-1]
    for c in monomials[-2::-1]:
        p = fma(p, q, c)
    half = f32(f32(0.5) / f32(x + f32(0.5)))
    quotient = fma(p, half, half)
    residual = f32(f32(p - quotient) + fma(f32(quotient + quotient), -x, f32(1)))
    return fma(residual, half, quotient)


def main():
    monomials = coefficients()
    print("coefficients, constant term first:")
    for c in monomials:
        print("  %.9e" % c)
    single = [f32(c) for c in monomials]
    xs = np.concatenate([np.linspace(0, 12, 20001), np.logspace(-8, 30, 4000)]).astype(f32)
    worst = max(abs(np.float64(erfcx_float32(x, single)) - erfcx(np.float64(x)))
                / np.float64(np.spacing(f32(erfcx(np.float64(x))))) for x in xs)
    print("worst float32 error: %.2f ulp" % worst)


if __name__ == "__main__":
    main()
