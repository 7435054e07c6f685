/// Eight float64 fits per value: the CPU backend's double-precision lane. exp is vectorised;
/// erf and erfcx fall back to libm lane by lane, because double mode is chosen for accuracy.
extension SIMD8: FitLane where Scalar == Double {
    public typealias Mask = SIMDMask<SIMD8<Int64>>
    @inlinable public static var laneCount: Int { 8 }
    @inlinable @inline(__always) public init(_ value: Double) { self.init(repeating: value) }
    @inlinable public subscript(lane lane: Int) -> Double {
        get { self[lane] }
        set { self[lane] = newValue }
    }
    @inlinable @inline(__always) public func adding(_ b: Self, times c: Self) -> Self { addingProduct(b, c) }
    @inlinable @inline(__always) public static func minimum(_ a: Self, _ b: Self) -> Self { a.lanewiseMin(b) }
    @inlinable @inline(__always) public static func maximum(_ a: Self, _ b: Self) -> Self { a.lanewiseMax(b) }

    /// exp(x): 2^n range reduction and a degree-12 Taylor polynomial (error ~1e-16 relative).
    /// Arguments are clamped to [-708, 709].
    @inlinable @inline(__always)
    public static func exp(_ x: Self) -> Self {
        let clamped = x.lanewiseMax(Self(repeating: -708)).lanewiseMin(Self(repeating: 709))
        let shifter = Self(repeating: 6755399441055744)  // 1.5 * 2^52
        let t = shifter.addingProduct(clamped, Self(repeating: 1.4426950408889634074))
        let n = t - shifter
        var r = clamped.addingProduct(n, Self(repeating: -0.6931471803691238))
        r = r.addingProduct(n, Self(repeating: -1.9082149292705877e-10))
        var p = Self(repeating: 1.0 / 479001600)
        var factorial = 479001600.0
        for k in stride(from: 11, through: 1, by: -1) {
            factorial /= Double(k + 1)
            p = Self(repeating: 1 / factorial).addingProduct(p, r)
        }
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
    @inlinable @inline(__always) public static func lessThan(_ a: Self, _ b: Self) -> Mask { a .< b }
    @inlinable @inline(__always) public static func select(_ m: Mask, _ a: Self, _ b: Self) -> Self { b.replacing(with: a, where: m) }
    @inlinable @inline(__always) public static func and(_ a: Mask, _ b: Mask) -> Mask { a .& b }
    @inlinable @inline(__always) public static func or(_ a: Mask, _ b: Mask) -> Mask { a .| b }
    @inlinable @inline(__always) public static func not(_ a: Mask) -> Mask { .!a }
    @inlinable @inline(__always) public static func isFinite(_ x: Self) -> Mask { (x - x) .== Self(repeating: 0) }
    @inlinable @inline(__always) public static func any(_ m: Mask) -> Bool { Swift.any(m) }
    @inlinable @inline(__always) public static func maskLane(_ m: Mask, _ lane: Int) -> Bool { m[lane] }
    @inlinable public static var allTrue: Mask { Mask(repeating: true) }
    @inlinable public static var allFalse: Mask { Mask(repeating: false) }
}
