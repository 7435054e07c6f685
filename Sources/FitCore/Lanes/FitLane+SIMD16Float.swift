import CLaneMath

/// Sixteen float32 fits per value: the CPU backend's single-precision lane. With the host's
/// target CPU this is one AVX-512 register (two AVX2 registers, four NEON registers). Masks are
/// integer vectors, all ones where true, handled by the inline C of `CLaneMath`.
extension SIMD16: FitLane where Scalar == Float {
    public typealias Mask = SIMD16<Int32>
    public typealias LaneScalar = Float
    @inlinable public static var laneCount: Int { 16 }
    @inlinable @inline(__always) public init(_ value: Double) { self.init(repeating: Float(value)) }
    @inlinable public subscript(lane lane: Int) -> Double {
        get { Double(self[lane]) }
        set { self[lane] = Float(newValue) }
    }
    @inlinable @inline(__always) public func adding(_ b: Self, times c: Self) -> Self { addingProduct(b, c) }
    @inlinable @inline(__always) public static func minimum(_ a: Self, _ b: Self) -> Self { ff_min_f16(a, b) }
    @inlinable @inline(__always) public static func maximum(_ a: Self, _ b: Self) -> Self { ff_max_f16(a, b) }

    /// exp(x), Cephes' expf polynomial after a 2^n range reduction; about 2 ulp. Arguments are
    /// clamped to [-87.3, 88], so the result is never inf and underflows only to ~1e-38.
    @inlinable @inline(__always)
    public static func exp(_ x: Self) -> Self {
        let clamped = ff_min_f16(ff_max_f16(x, Self(repeating: -87.3)), Self(repeating: 88.0))
        let shifter = Self(repeating: 12582912)  // 1.5 * 2^23: adding it rounds to an integer
        let t = shifter.addingProduct(clamped, Self(repeating: 1.44269504088896341))
        let n = t - shifter
        var r = clamped.addingProduct(n, Self(repeating: -0.693359375))
        r = r.addingProduct(n, Self(repeating: 2.12194440e-4))
        var p = Self(repeating: 1.9875691500e-4)
        p = Self(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = Self(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = Self(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = Self(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = Self(repeating: 5.0000001201e-1).addingProduct(p, r)
        p = (r + Self(repeating: 1)).addingProduct(p, r * r)
        let integer = unsafeBitCast(t, to: SIMD16<Int32>.self) &- unsafeBitCast(shifter, to: SIMD16<Int32>.self)
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Self.self)
        return p * scale
    }

    /// log(x) for x > 0: Cephes' logf polynomial on the mantissa in [sqrt(1/2), sqrt 2).
    @inlinable @inline(__always)
    public static func log(_ x: Self) -> Self {
        let bits = unsafeBitCast(x, to: SIMD16<Int32>.self)
        var exponent = (bits &>> 23) &- 126
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: Self.self)  // in [0.5, 1)
        let small = ff_lt_f16(m, Self(repeating: 0.70710678118654752440))
        exponent = exponent &+ small  // small is -1 (all ones) where the mantissa is shifted
        m = ff_select_f16(small, m + m - 1, m - 1)
        let z = m * m
        var p = Self(repeating: 7.0376836292e-2)
        p = Self(repeating: -1.1514610310e-1).addingProduct(p, m)
        p = Self(repeating: 1.1676998740e-1).addingProduct(p, m)
        p = Self(repeating: -1.2420140846e-1).addingProduct(p, m)
        p = Self(repeating: 1.4249322787e-1).addingProduct(p, m)
        p = Self(repeating: -1.6668057665e-1).addingProduct(p, m)
        p = Self(repeating: 2.0000714765e-1).addingProduct(p, m)
        p = Self(repeating: -2.4999993993e-1).addingProduct(p, m)
        p = Self(repeating: 3.3333331174e-1).addingProduct(p, m)
        var y = p * m * z
        let e = SIMD16<Float>(exponent)
        y = y.addingProduct(e, Self(repeating: -2.12194440e-4))
        y = y.addingProduct(z, Self(repeating: -0.5))
        return (m + y).addingProduct(e, Self(repeating: 0.693359375))
    }

    /// exp(x^2) erfc(x) for x >= 0, within 2.3 ulp everywhere (0.9 ulp for x > 1), without
    /// forming the exp(x^2) that overflows. q = (x - 4)/(x + 4) maps [0, inf) onto [-1, 1), where
    /// (1 + 2x) erfcx(x) - 1 is a degree-12 polynomial in q (relative error 3e-9; coefficients
    /// from `scripts/fit-erfcx.py`). The quotient q and the final division by 1 + 2x are each
    /// corrected by their fma residual, the scheme of N. Juffa's single-precision erfcx.
    @inlinable @inline(__always)
    public static func erfcx(_ x: Self) -> Self {
        let one = Self(repeating: 1), four = Self(repeating: 4)
        let reciprocal = one / (x + four)
        var q = (x - four) * reciprocal
        let remainder = x.addingProduct(q + one, -four).addingProduct(q, -x)  // (x-4) - q(x+4)
        q = q.addingProduct(reciprocal, remainder)
        var p = Self(repeating: 1.142113442e-04)
        p = Self(repeating: -2.484351446e-04).addingProduct(p, q)
        p = Self(repeating: -7.091415086e-04).addingProduct(p, q)
        p = Self(repeating: 5.082265614e-03).addingProduct(p, q)
        p = Self(repeating: -1.623038306e-02).addingProduct(p, q)
        p = Self(repeating: 3.714046226e-02).addingProduct(p, q)
        p = Self(repeating: -6.631904825e-02).addingProduct(p, q)
        p = Self(repeating: 9.374020411e-02).addingProduct(p, q)
        p = Self(repeating: -1.010409399e-01).addingProduct(p, q)
        p = Self(repeating: 6.809617513e-02).addingProduct(p, q)
        p = Self(repeating: 1.537976866e-02).addingProduct(p, q)
        p = Self(repeating: -1.396210865e-01).addingProduct(p, q)
        p = Self(repeating: 2.329951174e-01).addingProduct(p, q)
        let half = Self(repeating: 0.5) / (x + Self(repeating: 0.5))  // 1/(1 + 2x)
        let quotient = half.addingProduct(p, half)
        let residual = (p - quotient) + one.addingProduct(quotient + quotient, -x)  // (p+1) - quotient(1+2x)
        return quotient.addingProduct(residual, half)
    }

    /// erf(x): its Maclaurin series near zero, 1 - erfcx(|x|) exp(-x^2) elsewhere.
    @inlinable @inline(__always)
    public static func erf(_ x: Self) -> Self {
        let a = ff_max_f16(x, -x)
        let x2 = x * x
        var series = Self(repeating: -1.0 / 1320)
        series = Self(repeating: 1.0 / 216).addingProduct(series, x2)
        series = Self(repeating: -1.0 / 42).addingProduct(series, x2)
        series = Self(repeating: 1.0 / 10).addingProduct(series, x2)
        series = Self(repeating: -1.0 / 3).addingProduct(series, x2)
        series = Self(repeating: 1).addingProduct(series, x2)
        let small = x * series * Self(repeating: 1.1283791670955126)
        let tail = Self(repeating: 1) - erfcx(a) * exp(-x2)
        let signed = ff_select_f16(ff_lt_f16(x, Self(repeating: 0)), -tail, tail)
        return ff_select_f16(ff_lt_f16(a, Self(repeating: 0.5)), small, signed)
    }

    @inlinable @inline(__always) public static func squareRoot(_ x: Self) -> Self { x.squareRoot() }
    @inlinable public static func cosine(_ x: Self) -> Self {
        var out = Self(); for i in 0..<16 { out[i] = Float(libmCos(Double(x[i]))) }; return out
    }
    @inlinable public static func sine(_ x: Self) -> Self {
        var out = Self(); for i in 0..<16 { out[i] = Float(libmSin(Double(x[i]))) }; return out
    }
    @inlinable @inline(__always) public static func lessThan(_ a: Self, _ b: Self) -> Mask { ff_lt_f16(a, b) }
    @inlinable @inline(__always) public static func select(_ m: Mask, _ a: Self, _ b: Self) -> Self { ff_select_f16(m, a, b) }
    @inlinable @inline(__always) public static func and(_ a: Mask, _ b: Mask) -> Mask { a & b }
    @inlinable @inline(__always) public static func or(_ a: Mask, _ b: Mask) -> Mask { a | b }
    @inlinable @inline(__always) public static func not(_ a: Mask) -> Mask { ~a }
    @inlinable @inline(__always) public static func isFinite(_ x: Self) -> Mask { ff_finite_f16(x) }
    @inlinable @inline(__always) public static func any(_ m: Mask) -> Bool { ff_any_i16(m) != 0 }
    @inlinable @inline(__always) public static func maskLane(_ m: Mask, _ lane: Int) -> Bool { m[lane] != 0 }
    @inlinable public static var allTrue: Mask { Mask(repeating: -1) }
    @inlinable public static var allFalse: Mask { Mask(repeating: 0) }
}
