import CLaneMath

/// Eight float64 fits per value: the CPU backend's double-precision lane. exp is vectorised;
/// erf and erfcx fall back to libm lane by lane, because double mode is chosen for accuracy.
extension SIMD8: FitLane where Scalar == Double {
    public typealias Mask = SIMD8<Int>
    public typealias LaneScalar = Double
    @inlinable public static var laneCount: Int { 8 }
    @inlinable @inline(__always) public init(_ value: Double) { self.init(repeating: value) }
    @inlinable public subscript(lane lane: Int) -> Double {
        get { self[lane] }
        set { self[lane] = newValue }
    }
    @inlinable @inline(__always) public func adding(_ b: Self, times c: Self) -> Self { addingProduct(b, c) }
    @inlinable @inline(__always) public static func minimum(_ a: Self, _ b: Self) -> Self { ff_min_d8(a, b) }
    @inlinable @inline(__always) public static func maximum(_ a: Self, _ b: Self) -> Self { ff_max_d8(a, b) }

    /// exp(x): 2^n range reduction and a degree-12 Taylor polynomial (error ~1e-16 relative).
    /// Arguments are clamped to [-708, 709].
    @inlinable @inline(__always)
    public static func exp(_ x: Self) -> Self {
        let clamped = ff_min_d8(ff_max_d8(x, Self(repeating: -708)), Self(repeating: 709))
        let shifter = Self(repeating: 6755399441055744)  // 1.5 * 2^52
        let t = shifter.addingProduct(clamped, Self(repeating: 1.4426950408889634074))
        let n = t - shifter
        var r = clamped.addingProduct(n, Self(repeating: -0.6931471803691238))
        r = r.addingProduct(n, Self(repeating: -1.9082149292705877e-10))
        // Taylor coefficients 1/k!, k = 12 down to 1.
        let coefficients: [Double] = [1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040,
                                      1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1]
        var p = Self(repeating: coefficients[0])
        for k in 1..<12 { p = Self(repeating: coefficients[k]).addingProduct(p, r) }
        p = Self(repeating: 1).addingProduct(p, r)
        let integer = unsafeBitCast(t, to: SIMD8<Int64>.self) &- unsafeBitCast(shifter, to: SIMD8<Int64>.self)
        let scale = unsafeBitCast((integer &+ 1023) &<< 52, to: Self.self)
        return p * scale
    }
    @inlinable public static func log(_ x: Self) -> Self {
        var out = Self(); for i in 0..<8 { out[i] = libmLog(x[i]) }; return out
    }
    @inlinable public static func erf(_ x: Self) -> Self {
        var out = Self(); for i in 0..<8 { out[i] = libmErf(x[i]) }; return out
    }
    @inlinable public static func erfcx(_ x: Self) -> Self {
        var out = Self(); for i in 0..<8 { out[i] = scaledErfc(x[i]) }; return out
    }
    @inlinable @inline(__always) public static func squareRoot(_ x: Self) -> Self { x.squareRoot() }
    @inlinable public static func cosine(_ x: Self) -> Self {
        var out = Self(); for i in 0..<8 { out[i] = libmCos(x[i]) }; return out
    }
    @inlinable public static func sine(_ x: Self) -> Self {
        var out = Self(); for i in 0..<8 { out[i] = libmSin(x[i]) }; return out
    }
    @inlinable @inline(__always) public static func lessThan(_ a: Self, _ b: Self) -> Mask { ff_lt_d8(a, b) }
    @inlinable @inline(__always) public static func select(_ m: Mask, _ a: Self, _ b: Self) -> Self { ff_select_d8(m, a, b) }
    @inlinable @inline(__always) public static func and(_ a: Mask, _ b: Mask) -> Mask { a & b }
    @inlinable @inline(__always) public static func or(_ a: Mask, _ b: Mask) -> Mask { a | b }
    @inlinable @inline(__always) public static func not(_ a: Mask) -> Mask { ~a }
    @inlinable @inline(__always) public static func isFinite(_ x: Self) -> Mask { ff_finite_d8(x) }
    @inlinable @inline(__always) public static func any(_ m: Mask) -> Bool { ff_any_l8(m) != 0 }
    @inlinable @inline(__always) public static func maskLane(_ m: Mask, _ lane: Int) -> Bool { m[lane] != 0 }
    @inlinable public static var allTrue: Mask { Mask(repeating: -1) }
    @inlinable public static var allFalse: Mask { Mask(repeating: 0) }
}
