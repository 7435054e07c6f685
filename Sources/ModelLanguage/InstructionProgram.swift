import FitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A model's graph as a straight-line program over registers, for the CPU backend: one
/// instruction per operation, run on SIMD lanes so that each instruction serves every fit of a
/// lane group (`run`). Registers are reused once a value's last use has passed; the constants and
/// the parameters are loaded once per pass, the coordinates once per point, and the value and
/// derivatives are left in registers of their own.
public struct InstructionProgram: Sendable {
    public enum Operation: UInt8, Sendable {
        case negate, exp, log, sqrt, abs, sin, cos, tan, atan, erf, erfc, erfcx
        case add, subtract, multiply, divide, power, square, cube, minimum, maximum, lessThanSelect
    }
    public struct Instruction: Sendable, Equatable {
        public var operation: Operation
        public var destination: Int32
        public var a: Int32, b: Int32, c: Int32, d: Int32
    }

    public let instructions: [Instruction]
    public let registerCount: Int
    /// Registers holding constants, with their values: set once per pass.
    public let constants: [(register: Int, value: Double)]
    /// The register of each variable (parameters, then coordinates); -1 where unused.
    public let variableRegisters: [Int]
    public let valueRegister: Int
    public let derivativeRegisters: [Int]

    /// The program computing `model`'s value and derivatives.
    public init(_ model: ModelExpression) {
        let graph = model.graph
        let outputs = [model.value] + model.derivatives
        // The nodes the outputs need, and each one's last use (an output's is the end).
        let needed = graph.reachable(from: outputs)
        var lastUse = [Int](repeating: -1, count: graph.nodes.count)
        for n in graph.nodes.indices where needed[n] { for o in Self.operands(graph.nodes[n]) { lastUse[o] = max(lastUse[o], n) } }
        for o in outputs { lastUse[o] = Int.max }

        var register = [Int](repeating: -1, count: graph.nodes.count)
        var free: [Int] = [], count = 0
        func allocate() -> Int {
            if let r = free.popLast() { return r }
            count += 1
            return count - 1
        }
        var instructions: [Instruction] = [], constants: [(Int, Double)] = []
        var variables = [Int](repeating: -1, count: model.parameters.count + model.coordinates.count)
        // Constants and variables first: they live for the whole pass (never freed).
        for n in graph.nodes.indices where needed[n] {
            switch graph.nodes[n] {
            case .constant(let v): register[n] = allocate(); constants.append((register[n], v))
            case .variable(let v): register[n] = allocate(); variables[v] = register[n]
            default: break
            }
        }
        for n in graph.nodes.indices where needed[n] {
            let node = graph.nodes[n]
            let ops = Self.operands(node)
            guard !ops.isEmpty else { continue }
            // Operands whose last use is this node give their registers back first, so the
            // destination may reuse one (each instruction reads its operands before writing).
            for o in Set(ops) where lastUse[o] == n && !Self.isLeaf(graph.nodes[o]) { free.append(register[o]) }
            register[n] = allocate()
            let r = { (i: Int) -> Int32 in Int32(register[ops[i]]) }
            var instruction = Instruction(operation: .add, destination: Int32(register[n]), a: r(0), b: -1, c: -1, d: -1)
            switch node {
            case .unary(let f, _):
                instruction.operation = Self.unaryOperation[f]!
            case .binary(let f, _, let b):
                instruction.b = r(1)
                switch f {
                case .add: instruction.operation = .add
                case .subtract: instruction.operation = .subtract
                case .multiply: instruction.operation = .multiply
                case .divide: instruction.operation = .divide
                case .minimum: instruction.operation = .minimum
                case .maximum: instruction.operation = .maximum
                case .power:
                    // Small whole exponents by multiplication (exact for negative bases too).
                    switch graph.constantValue(b) {
                    case 2: instruction.operation = .square
                    case 3: instruction.operation = .cube
                    default: instruction.operation = .power
                    }
                }
            case .lessThanSelect:
                instruction.operation = .lessThanSelect
                instruction.b = r(1); instruction.c = r(2); instruction.d = r(3)
            case .constant, .variable: continue
            }
            instructions.append(instruction)
        }
        self.instructions = instructions
        self.registerCount = count
        self.constants = constants
        self.variableRegisters = variables
        self.valueRegister = register[model.value]
        self.derivativeRegisters = model.derivatives.map { register[$0] }
    }

    static let unaryOperation: [ExpressionGraph.Unary: Operation] = [
        .negate: .negate, .exp: .exp, .log: .log, .sqrt: .sqrt, .abs: .abs, .sin: .sin, .cos: .cos, .tan: .tan,
        .atan: .atan, .erf: .erf, .erfc: .erfc, .erfcx: .erfcx,
    ]

    static func operands(_ node: ExpressionGraph.Node) -> [Int] { ExpressionGraph.operands(node) }

    static func isLeaf(_ node: ExpressionGraph.Node) -> Bool { operands(node).isEmpty }

    /// Runs the instructions on `registers` (the constants, parameters and coordinates already in
    /// theirs): one pass of every operation over all lanes.
    @inlinable
    public func run<Lane: FitLane>(_ registers: UnsafeMutablePointer<Lane>) {
        for instruction in instructions {
            let a = registers[Int(instruction.a)]
            let result: Lane
            switch instruction.operation {
            case .negate: result = -a
            case .exp: result = Lane.exp(a)
            case .log: result = Lane.log(a)
            case .sqrt: result = Lane.squareRoot(a)
            case .abs: result = Lane.absolute(a)
            case .sin: result = Lane.sine(a)
            case .cos: result = Lane.cosine(a)
            case .tan: result = Lane.sine(a) / Lane.cosine(a)
            case .atan: result = Self.laneByLane(a) { atan($0) }
            case .erf: result = Lane.erf(a)
            case .erfc:
                // From erfcx, so that erfc keeps its digits where it is tiny (1 - erf would not).
                let tail = Lane.erfcx(Lane.absolute(a)) * Lane.exp(-(a * a))
                result = Lane.select(Lane.lessThan(a, Lane(0)), Lane(2) - tail, tail)
            case .erfcx:
                // The lanes' erfcx is for x >= 0; below, erfcx(x) = 2 exp(x^2) - erfcx(-x).
                let positive = Lane.erfcx(Lane.absolute(a))
                result = Lane.select(Lane.lessThan(a, Lane(0)), Lane(2) * Lane.exp(a * a) - positive, positive)
            case .add: result = a + registers[Int(instruction.b)]
            case .subtract: result = a - registers[Int(instruction.b)]
            case .multiply: result = a * registers[Int(instruction.b)]
            case .divide: result = a / registers[Int(instruction.b)]
            case .power: result = Self.laneByLane(a, registers[Int(instruction.b)]) { pow($0, $1) }
            case .square: result = a * a
            case .cube: result = a * a * a
            case .minimum:
                let b = registers[Int(instruction.b)]
                result = Lane.select(Lane.lessThan(a, b), a, b)
            case .maximum:
                let b = registers[Int(instruction.b)]
                result = Lane.select(Lane.lessThan(b, a), a, b)
            case .lessThanSelect:
                result = Lane.select(Lane.lessThan(a, registers[Int(instruction.b)]), registers[Int(instruction.c)], registers[Int(instruction.d)])
            }
            registers[Int(instruction.destination)] = result
        }
    }

    /// Runs the instructions on a block of `count` points at once: register r holds the block's
    /// values at `registers[r * count ..< (r + 1) * count]` (constants and parameters repeated
    /// across it). One dispatch per instruction and block instead of per point.
    @inlinable
    public func run<Lane: FitLane>(_ registers: UnsafeMutablePointer<Lane>, block count: Int) {
        for instruction in instructions {
            let a = registers + Int(instruction.a) * count, out = registers + Int(instruction.destination) * count
            let b = registers + Int(max(instruction.b, 0)) * count
            switch instruction.operation {
            case .negate: for k in 0..<count { out[k] = -a[k] }
            case .exp: for k in 0..<count { out[k] = Lane.exp(a[k]) }
            case .log: for k in 0..<count { out[k] = Lane.log(a[k]) }
            case .sqrt: for k in 0..<count { out[k] = Lane.squareRoot(a[k]) }
            case .abs: for k in 0..<count { out[k] = Lane.absolute(a[k]) }
            case .sin: for k in 0..<count { out[k] = Lane.sine(a[k]) }
            case .cos: for k in 0..<count { out[k] = Lane.cosine(a[k]) }
            case .add: for k in 0..<count { out[k] = a[k] + b[k] }
            case .subtract: for k in 0..<count { out[k] = a[k] - b[k] }
            case .multiply: for k in 0..<count { out[k] = a[k] * b[k] }
            case .divide: for k in 0..<count { out[k] = a[k] / b[k] }
            case .square: for k in 0..<count { out[k] = a[k] * a[k] }
            case .cube: for k in 0..<count { out[k] = a[k] * a[k] * a[k] }
            default:
                // The rarer operations one point at a time through `run`'s cases.
                for k in 0..<count { out[k] = Self.single(instruction, a[k], b[k], registers, count: count, point: k) }
            }
        }
    }

    /// One point of one instruction, for `run(_:block:)`'s rarer operations.
    @inlinable @usableFromInline
    static func single<Lane: FitLane>(_ instruction: Instruction, _ a: Lane, _ b: Lane, _ registers: UnsafeMutablePointer<Lane>,
                                      count: Int, point k: Int) -> Lane {
        switch instruction.operation {
        case .tan: return Lane.sine(a) / Lane.cosine(a)
        case .atan: return laneByLane(a) { atan($0) }
        case .erf: return Lane.erf(a)
        case .erfc:
            let tail = Lane.erfcx(Lane.absolute(a)) * Lane.exp(-(a * a))
            return Lane.select(Lane.lessThan(a, Lane(0)), Lane(2) - tail, tail)
        case .erfcx:
            let positive = Lane.erfcx(Lane.absolute(a))
            return Lane.select(Lane.lessThan(a, Lane(0)), Lane(2) * Lane.exp(a * a) - positive, positive)
        case .power: return laneByLane(a, b) { pow($0, $1) }
        case .minimum: return Lane.select(Lane.lessThan(a, b), a, b)
        case .maximum: return Lane.select(Lane.lessThan(b, a), a, b)
        case .lessThanSelect:
            return Lane.select(Lane.lessThan(a, b), registers[Int(instruction.c) * count + k], registers[Int(instruction.d) * count + k])
        default: preconditionFailure("\(instruction.operation) has a block loop")
        }
    }

    @inlinable @usableFromInline
    static func laneByLane<Lane: FitLane>(_ a: Lane, _ f: (Double) -> Double) -> Lane {
        var out = a
        for lane in 0..<Lane.laneCount { out[lane: lane] = f(a[lane: lane]) }
        return out
    }

    @inlinable @usableFromInline
    static func laneByLane<Lane: FitLane>(_ a: Lane, _ b: Lane, _ f: (Double, Double) -> Double) -> Lane {
        var out = a
        for lane in 0..<Lane.laneCount { out[lane: lane] = f(a[lane: lane], b[lane: lane]) }
        return out
    }
}
