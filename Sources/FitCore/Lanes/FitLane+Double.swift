#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scalar lane of the float64 reference solver: libm functions, nothing approximated.
extension Double: FitLane {
    public typealias Mask = Bool
    public typealias LaneScalar = Double
    @inlinable public static var laneCount: Int { 1 }
    @inlinable public subscript(lane lane: Int) -> Double {
        get { self }
        set { self = newValue }
    }
    @inlinable @inline(__always) public func adding(_ b: Double, times c: Double) -> Double { self + b * c }
    @inlinable @inline(__always) public static func minimum(_ a: Double, _ b: Double) -> Double { Swift.min(a, b) }
    @inlinable @inline(__always) public static func maximum(_ a: Double, _ b: Double) -> Double { Swift.max(a, b) }
    @inlinable @inline(__always) public static func exp(_ x: Double) -> Double { FitCore.libmExp(x) }
    @inlinable @inline(__always) public static func log(_ x: Double) -> Double { FitCore.libmLog(x) }
    @inlinable @inline(__always) public static func erf(_ x: Double) -> Double { FitCore.libmErf(x) }
    @inlinable @inline(__always) public static func erfcx(_ x: Double) -> Double { scaledErfc(x) }
    @inlinable @inline(__always) public static func squareRoot(_ x: Double) -> Double { x.squareRoot() }
    @inlinable @inline(__always) public static func cosine(_ x: Double) -> Double { FitCore.libmCos(x) }
    @inlinable @inline(__always) public static func sine(_ x: Double) -> Double { FitCore.libmSin(x) }
    @inlinable @inline(__always) public static func lessThan(_ a: Double, _ b: Double) -> Bool { a < b }
    @inlinable @inline(__always) public static func select(_ m: Bool, _ a: Double, _ b: Double) -> Double { m ? a : b }
    @inlinable @inline(__always) public static func and(_ a: Bool, _ b: Bool) -> Bool { a && b }
    @inlinable @inline(__always) public static func or(_ a: Bool, _ b: Bool) -> Bool { a || b }
    @inlinable @inline(__always) public static func not(_ a: Bool) -> Bool { !a }
    @inlinable @inline(__always) public static func isFinite(_ x: Double) -> Bool { x.isFinite }
    @inlinable @inline(__always) public static func any(_ m: Bool) -> Bool { m }
    @inlinable @inline(__always) public static func maskLane(_ m: Bool, _ lane: Int) -> Bool { m }
    @inlinable public static var allTrue: Bool { true }
    @inlinable public static var allFalse: Bool { false }
}

@usableFromInline func libmExp(_ x: Double) -> Double { exp(x) }
@usableFromInline func libmErf(_ x: Double) -> Double { erf(x) }
@usableFromInline func libmLog(_ x: Double) -> Double { log(x) }
@usableFromInline func libmErfc(_ x: Double) -> Double { erfc(x) }
@usableFromInline func libmCos(_ x: Double) -> Double { cos(x) }
@usableFromInline func libmSin(_ x: Double) -> Double { sin(x) }

/// exp(x^2) erfc(x) in float64 for x >= 0: the direct product while erfc does not underflow,
/// then the asymptotic series to 16 terms (truncation error below 1e-19 past x = 10).
@inlinable
public func scaledErfc(_ x: Double) -> Double {
    if x < 10 { return libmExp(x * x) * libmErfc(x) }
    let inverseTwoX2 = 1 / (2 * x * x)
    var term = 1.0, sum = 1.0
    for n in 1...16 {
        term *= -Double(2 * n - 1) * inverseTwoX2
        sum += term
    }
    return sum / (x * 1.7724538509055160273)
}
