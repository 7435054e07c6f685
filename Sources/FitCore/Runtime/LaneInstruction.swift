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
        /// a * b + c, a * b - c, c - a * b: a product and the sum it feeds, one instruction.
        case multiplyAdd, multiplySubtract, negatedMultiplyAdd
    }
    public var operation: Operation
    public var destination: Int32
    public var a: Int32, b: Int32, c: Int32, d: Int32

    public init(_ operation: Operation, destination: Int, a: Int, b: Int = -1, c: Int = -1, d: Int = -1) {
        self.operation = operation
        self.destination = Int32(destination)
        self.a = Int32(a); self.b = Int32(b); self.c = Int32(c); self.d = Int32(d)
    }

    /// Where an operand lives: the file the instruction runs over (one value per point), or a
    /// value the same for every point of the run: the current row's (grid models' point stage)
    /// or the pass's. Kept in an operand's high bits: register | file.
    public enum OperandFile: Int32, Sendable {
        case own = 0
        case row = 0x0100_0000
        case pass = 0x0200_0000
    }

    /// Operand `register` of file `file`, as an instruction holds it.
    public static func operand(_ register: Int, _ file: OperandFile = .own) -> Int { register | Int(file.rawValue) }

    /// Runs `instructions` over a block of `count` points: register r of the running file holds
    /// the block's values at `registers[r * stride ..< r * stride + count]`; an operand of the row
    /// file is `row[r * rowStride]` and one of the pass file `pass[r]`, the same for every point.
    /// One dispatch per instruction and block, not per point.
    @inlinable
    public static func run<Lane: FitLane>(_ instructions: [LaneInstruction], registers: UnsafeMutablePointer<Lane>,
                                          stride: Int, count: Int) {
        instructions.withUnsafeBufferPointer { run($0, registers: registers, stride: stride, count: count) }
    }

    /// As `run(_:registers:stride:count:)`, from instructions in memory of the caller's (no array
    /// retained and released per call: `StagedEvaluator` runs a row's instructions this way).
    @inlinable
    public static func run<Lane: FitLane>(_ instructions: UnsafeBufferPointer<LaneInstruction>, registers: UnsafeMutablePointer<Lane>,
                                          stride: Int, count: Int, row: UnsafeMutablePointer<Lane>? = nil, rowStride: Int = 0,
                                          pass: UnsafeMutablePointer<Lane>? = nil) {
        /// Operand `o`'s first value and its step from point to point (1, or 0 for a uniform one).
        @inline(__always)
        func locate(_ o: Int32) -> (UnsafeMutablePointer<Lane>, Int) {
            let register = Int(o & 0x00FF_FFFF)
            switch o & 0x0300_0000 {
            case OperandFile.row.rawValue: return (row.unsafelyUnwrapped + register * rowStride, 0)
            case OperandFile.pass.rawValue: return (pass.unsafelyUnwrapped + register, 0)
            default: return (registers + register * stride, 1)
            }
        }
        for instruction in instructions {
            let out = registers + Int(instruction.destination) * stride
            let (a, sa) = locate(instruction.a)
            let (b, sb) = instruction.b >= 0 ? locate(instruction.b) : (a, sa)
            switch instruction.operation {
            case .negate: for k in 0..<count { out[k] = -a[k * sa] }
            case .exp: for k in 0..<count { out[k] = Lane.exp(a[k * sa]) }
            case .log: for k in 0..<count { out[k] = Lane.log(a[k * sa]) }
            case .sqrt: for k in 0..<count { out[k] = Lane.squareRoot(a[k * sa]) }
            case .abs: for k in 0..<count { out[k] = Lane.absolute(a[k * sa]) }
            case .add: for k in 0..<count { out[k] = a[k * sa] + b[k * sb] }
            case .subtract: for k in 0..<count { out[k] = a[k * sa] - b[k * sb] }
            case .multiply: for k in 0..<count { out[k] = a[k * sa] * b[k * sb] }
            case .divide: for k in 0..<count { out[k] = a[k * sa] / b[k * sb] }
            case .square: for k in 0..<count { out[k] = a[k * sa] * a[k * sa] }
            case .cube: for k in 0..<count { out[k] = a[k * sa] * a[k * sa] * a[k * sa] }
            case .minimum: for k in 0..<count { out[k] = Lane.select(Lane.lessThan(a[k * sa], b[k * sb]), a[k * sa], b[k * sb]) }
            case .maximum: for k in 0..<count { out[k] = Lane.select(Lane.lessThan(b[k * sb], a[k * sa]), a[k * sa], b[k * sb]) }
            case .lessThanSelect:
                let (c, sc) = locate(instruction.c), (d, sd) = locate(instruction.d)
                for k in 0..<count { out[k] = Lane.select(Lane.lessThan(a[k * sa], b[k * sb]), c[k * sc], d[k * sd]) }
            case .multiplyAdd:
                let (c, sc) = locate(instruction.c)
                for k in 0..<count { out[k] = c[k * sc].adding(a[k * sa], times: b[k * sb]) }
            case .multiplySubtract:
                let (c, sc) = locate(instruction.c)
                for k in 0..<count { out[k] = a[k * sa] * b[k * sb] - c[k * sc] }
            case .negatedMultiplyAdd:
                let (c, sc) = locate(instruction.c)
                for k in 0..<count { out[k] = c[k * sc] - a[k * sa] * b[k * sb] }
            case .sin, .cos, .tan, .atan, .erf, .erfc, .erfcx, .power:
                for k in 0..<count { out[k] = rare(instruction.operation, a[k * sa], b[k * sb]) }
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
