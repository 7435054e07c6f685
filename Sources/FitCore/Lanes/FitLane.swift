/// A lane type the models and solvers compute with: a plain `Double` for the float64 reference,
/// or a SIMD vector holding one fit per lane for the CPU backend.
///
/// Every model is written once, generically over `FitLane`, so the reference solver and the SIMD
/// backend evaluate the very same formula. Code written against this protocol must be branch-free
/// across lanes: a choice between two values is a `select`, never an `if` on lane data.
public protocol FitLane {
    associatedtype Mask
    /// The type of one lane.
    associatedtype LaneScalar: BinaryFloatingPoint
    /// Number of fits one value of this type holds.
    static var laneCount: Int { get }
    /// A value with every lane set to `value`.
    init(_ value: Double)
    /// Lane `lane` as a Double (for loading and storing; not for hot loops).
    subscript(lane lane: Int) -> Double { get set }

    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    static func / (lhs: Self, rhs: Self) -> Self
    static prefix func - (operand: Self) -> Self
    /// `self + b * c`, fused where the hardware allows.
    func adding(_ b: Self, times c: Self) -> Self

    static func minimum(_ a: Self, _ b: Self) -> Self
    static func maximum(_ a: Self, _ b: Self) -> Self
    static func exp(_ x: Self) -> Self
    /// Natural logarithm, for x > 0.
    static func log(_ x: Self) -> Self
    /// The error function.
    static func erf(_ x: Self) -> Self
    /// The scaled complementary error function exp(x^2) erfc(x), for x >= 0.
    static func erfcx(_ x: Self) -> Self
    static func squareRoot(_ x: Self) -> Self
    static func cosine(_ x: Self) -> Self
    static func sine(_ x: Self) -> Self

    static func lessThan(_ a: Self, _ b: Self) -> Mask
    /// Lanes of `a` where `mask` is set, of `b` elsewhere.
    static func select(_ mask: Mask, _ a: Self, _ b: Self) -> Self
    static func and(_ a: Mask, _ b: Mask) -> Mask
    static func or(_ a: Mask, _ b: Mask) -> Mask
    static func not(_ a: Mask) -> Mask
    static func isFinite(_ x: Self) -> Mask
    static func any(_ m: Mask) -> Bool
    static func maskLane(_ m: Mask, _ lane: Int) -> Bool
    static var allTrue: Mask { get }
    static var allFalse: Mask { get }
}

extension FitLane {
    @inlinable @inline(__always)
    public static func absolute(_ x: Self) -> Self { maximum(x, -x) }
    @inlinable @inline(__always)
    public static func square(_ x: Self) -> Self { x * x }
}

