#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One operation of a runtime model's straight-line program (`StagedProgram`): a destination
/// register and up to four operand registers of one register file. The programs are made by
/// module ModelLanguage from a model's expression graph; FitCore runs them, so every backend and
/// the float64 reference evaluate a runtime model without depending on the language.
public struct LaneInstruction: Sendable, Equatable {
    public enum Operation: UInt8, Sendable {
        case negate, exp, log, sqrt, abs, sin, cos, tan, atan, erf, erfc, erfcx
        case add, subtract, multiply, divide, power, square, cube, minimum, maximum
        /// a < b ? c : d
        case lessThanSelect
    }
    public var operation: Operation
    public var destination: Int32
    public var a: Int32, b: Int32, c: Int32, d: Int32

    public init(_ operation: Operation, destination: Int, a: Int, b: Int = -1, c: Int = -1, d: Int = -1) {
        self.operation = operation
        self.destination = Int32(destination)
        self.a = Int32(a); self.b = Int32(b); self.c = Int32(c); self.d = Int32(d)
    }

    /// Runs `instructions` over a block of `count` points: register r holds the block's values at
    /// `registers[r * stride ..< r * stride + count]`. One dispatch per instruction and block, not
    /// per point, and each of the common operations a plain loop the compiler vectorises across
    /// the block as well as across the lanes.
    @inlinable
    public static func run<Lane: FitLane>(_ instructions: [LaneInstruction], registers: UnsafeMutablePointer<Lane>,
                                          stride: Int, count: Int) {
        for instruction in instructions {
            let a = registers + Int(instruction.a) * stride, out = registers + Int(instruction.destination) * stride
            let b = registers + Int(max(instruction.b, 0)) * stride
            switch instruction.operation {
            case .negate: for k in 0..<count { out[k] = -a[k] }
            case .exp: for k in 0..<count { out[k] = Lane.exp(a[k]) }
            case .log: for k in 0..<count { out[k] = Lane.log(a[k]) }
            case .sqrt: for k in 0..<count { out[k] = Lane.squareRoot(a[k]) }
            case .abs: for k in 0..<count { out[k] = Lane.absolute(a[k]) }
            case .add: for k in 0..<count { out[k] = a[k] + b[k] }
            case .subtract: for k in 0..<count { out[k] = a[k] - b[k] }
            case .multiply: for k in 0..<count { out[k] = a[k] * b[k] }
            case .divide: for k in 0..<count { out[k] = a[k] / b[k] }
            case .square: for k in 0..<count { out[k] = a[k] * a[k] }
            case .cube: for k in 0..<count { out[k] = a[k] * a[k] * a[k] }
            case .minimum: for k in 0..<count { out[k] = Lane.select(Lane.lessThan(a[k], b[k]), a[k], b[k]) }
            case .maximum: for k in 0..<count { out[k] = Lane.select(Lane.lessThan(b[k], a[k]), a[k], b[k]) }
            case .lessThanSelect:
                let c = registers + Int(instruction.c) * stride, d = registers + Int(instruction.d) * stride
                for k in 0..<count { out[k] = Lane.select(Lane.lessThan(a[k], b[k]), c[k], d[k]) }
            case .sin, .cos, .tan, .atan, .erf, .erfc, .erfcx, .power:
                for k in 0..<count { out[k] = rare(instruction.operation, a[k], b[k]) }
            }
        }
    }

    /// The rarer operations, one point at a time.
    @inlinable @inline(never)
    static func rare<Lane: FitLane>(_ operation: Operation, _ a: Lane, _ b: Lane) -> Lane {
        switch operation {
        case .sin: return Lane.sine(a)
        case .cos: return Lane.cosine(a)
        case .tan: return Lane.sine(a) / Lane.cosine(a)
        case .atan: return laneByLane(a, b) { x, _ in atan(x) }
        case .erf: return Lane.erf(a)
        case .erfc:
            // From erfcx, so that erfc keeps its digits where it is tiny (1 - erf would not).
            let tail = Lane.erfcx(Lane.absolute(a)) * Lane.exp(-(a * a))
            return Lane.select(Lane.lessThan(a, Lane(0)), Lane(2) - tail, tail)
        case .erfcx:
            // The lanes' erfcx is for x >= 0; below, erfcx(x) = 2 exp(x^2) - erfcx(-x).
            let positive = Lane.erfcx(Lane.absolute(a))
            return Lane.select(Lane.lessThan(a, Lane(0)), Lane(2) * Lane.exp(a * a) - positive, positive)
        case .power: return laneByLane(a, b) { pow($0, $1) }
        default: preconditionFailure("\(operation) has a block loop")
        }
    }

    @inlinable
    static func laneByLane<Lane: FitLane>(_ a: Lane, _ b: Lane, _ f: (Double, Double) -> Double) -> Lane {
        var out = a
        for lane in 0..<Lane.laneCount { out[lane: lane] = f(a[lane: lane], b[lane: lane]) }
        return out
    }
}
