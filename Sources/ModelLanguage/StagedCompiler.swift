import FitCore

/// Compiles a model's graph into a `StagedProgram` (FitCore runs it): each node the outputs need
/// goes to the stage of what it depends on (`EvaluationStage`), each stage's nodes become
/// instructions over its register file, and values used by a later file are broadcast into it.
///
/// Registers are reused once a value's last use in its file has passed, except those a later run
/// still reads: constants, parameters and coordinates, values broadcast into another file, column
/// values the point stage reads (it runs once per row), and the outputs.
public enum StagedCompiler {
    enum File { case pass, row, block }

    public static func compile(_ model: ModelExpression) -> StagedProgram {
        let graph = model.graph
        let parameterCount = model.parameters.count
        let isGrid = model.coordinates.count == 2
        let stage = stages(of: graph, variable: { v in
            v < parameterCount ? .pass : v == parameterCount ? (isGrid ? .column : .point) : .row
        })
        func file(_ n: Int) -> File {
            switch stage[n] {
            case .pass: return .pass
            case .row: return .row
            case .column, .point: return .block
            }
        }
        let outputs = [model.value] + model.derivatives
        let needed = graph.reachable(from: outputs)
        let fusion = Fusion(graph, needed: needed, outputs: outputs, stage: stage)
        let order = graph.nodes.indices.filter { needed[$0] && !fusion.absorbed.contains($0) }
        let operandsOf = fusion.operands

        // Values read by a later file are read where they are (`LaneInstruction.OperandFile`:
        // the pass's and the current row's, the same for every point) and kept to the end of
        // their file's run. Only outputs outside the block file are copied into it (the sums read
        // every derivative point by point).
        var readElsewhere = Set<Int>()
        for n in order { for o in operandsOf(n) where file(o) != file(n) { readElsewhere.insert(o) } }
        let passOutputs = Set(outputs.filter { file($0) == .pass }).sorted()
        let rowOutputs = Set(outputs.filter { file($0) == .row }).sorted()

        // The pass file.
        var pass = FileAllocation()
        for n in order where file(n) == .pass && ExpressionGraph.operands(graph.nodes[n]).isEmpty { pass.pin(n) }
        for n in order where file(n) == .pass && (readElsewhere.contains(n) || passOutputs.contains(n)) { pass.keep.insert(n) }
        let passInstructions = pass.instructions(fusion, nodes: order.filter { file($0) == .pass }, external: { _ in nil })
        let fromPass = { (o: Int) -> Int? in pass.register[o].map { LaneInstruction.operand($0, .pass) } }

        // The row file: y, then the row stage.
        var row = FileAllocation()
        if isGrid, let y = order.first(where: { graph.nodes[$0] == .variable(parameterCount + 1) }) { row.pin(y) }
        for n in order where file(n) == .row && (readElsewhere.contains(n) || rowOutputs.contains(n)) { row.keep.insert(n) }
        let rowInstructions = row.instructions(fusion, nodes: order.filter { file($0) == .row }, external: fromPass)
        let fromRowOrPass = { (o: Int) -> Int? in
            file(o) == .row ? row.register[o].map { LaneInstruction.operand($0, .row) } : fromPass(o)
        }

        // The block file: x and the outputs copied in, then the column stage and the point stage.
        var block = FileAllocation()
        if let x = order.first(where: { graph.nodes[$0] == .variable(parameterCount) }) { block.pin(x) }
        for o in passOutputs + rowOutputs { block.pin(o) }
        var readByPoints = Set<Int>()
        for n in order where stage[n] == .point { readByPoints.formUnion(operandsOf(n)) }
        for n in order where stage[n] == .column && readByPoints.contains(n) { block.keep.insert(n) }
        for o in outputs where file(o) == .block { block.keep.insert(o) }
        let columnNodes = order.filter { stage[$0] == .column && !ExpressionGraph.operands(graph.nodes[$0]).isEmpty }
        let pointNodes = order.filter { stage[$0] == .point && !ExpressionGraph.operands(graph.nodes[$0]).isEmpty }
        // One allocation over both, in the order they run (column once per pass, then the points).
        let blockInstructions = block.instructions(fusion, nodes: columnNodes + pointNodes, external: fromRowOrPass)
        let columnInstructions = Array(blockInstructions.prefix(columnNodes.count))
        let pointInstructions = Array(blockInstructions.dropFirst(columnNodes.count))

        var constants: [StagedProgram.Constant] = []
        var parameterRegisters = [Int](repeating: -1, count: parameterCount)
        for n in order where file(n) == .pass {
            switch graph.nodes[n] {
            case .constant(let v): constants.append(.init(register: pass.register[n]!, value: v))
            case .variable(let v): parameterRegisters[v] = pass.register[n]!
            default: break
            }
        }
        let xNode = order.first { graph.nodes[$0] == .variable(parameterCount) }
        let yNode = isGrid ? order.first { graph.nodes[$0] == .variable(parameterCount + 1) } : nil
        return StagedProgram(
            isGrid: isGrid, parameterCount: parameterCount,
            passRegisterCount: pass.count, constants: constants, parameterRegisters: parameterRegisters, pass: passInstructions,
            rowRegisterCount: row.count, yRegister: yNode.flatMap { row.register[$0] } ?? -1,
            row: rowInstructions,
            blockRegisterCount: block.count, xRegister: xNode.flatMap { block.register[$0] } ?? -1,
            passToBlock: passOutputs.map { .init(from: pass.register[$0]!, to: block.register[$0]!) },
            column: columnInstructions,
            rowToBlock: rowOutputs.map { .init(from: row.register[$0]!, to: block.register[$0]!) },
            point: pointInstructions,
            valueRegister: block.register[model.value]!, derivativeRegisters: model.derivatives.map { block.register[$0]! })
    }

    /// Start expressions as one float64 program: the statistics they name loaded once, each
    /// expression's operations after them, each parameter's value in its own register.
    static func compile(starts: [String: StartExpression], parameters: [String]) -> RuntimeStart {
        var statistics: [DataStatistic] = [], statisticRegisters: [Int] = [], constants: [StagedProgram.Constant] = []
        var instructions: [LaneInstruction] = [], count = 0
        var parameterRegisters = [Int](repeating: -1, count: parameters.count)
        for (j, name) in parameters.enumerated() {
            guard let start = starts[name] else { continue }
            var register = [Int](repeating: -1, count: start.graph.nodes.count)
            let needed = start.graph.reachable(from: [start.value])
            for (n, node) in start.graph.nodes.enumerated() where needed[n] {
                switch node {
                case .constant(let v):
                    register[n] = count; count += 1
                    constants.append(.init(register: register[n], value: v))
                case .variable(let v):
                    let statistic = DataStatistic(rawValue: start.variableNames[v])!
                    if let i = statistics.firstIndex(of: statistic) { register[n] = statisticRegisters[i]; continue }
                    register[n] = count; count += 1
                    statistics.append(statistic); statisticRegisters.append(register[n])
                default:
                    register[n] = count; count += 1
                    instructions.append(instruction(start.graph, n, destination: register[n]) { register[$0] })
                }
            }
            parameterRegisters[j] = register[start.value]
        }
        return RuntimeStart(parameterCount: parameters.count, statistics: statistics, statisticRegisters: statisticRegisters,
                            constants: constants, instructions: instructions, registerCount: count,
                            parameterRegisters: parameterRegisters)
    }

    /// Node `n`'s instruction, its operands' registers given by `register`.
    static func instruction(_ graph: ExpressionGraph, _ n: Int, destination: Int, register: (Int) -> Int) -> LaneInstruction {
        switch graph.nodes[n] {
        case .unary(let f, let a):
            return LaneInstruction(unaryOperation[f]!, destination: destination, a: register(a))
        case .binary(let f, let a, let b):
            let operation: LaneInstruction.Operation
            switch f {
            case .add: operation = .add
            case .subtract: operation = .subtract
            case .multiply: operation = .multiply
            case .divide: operation = .divide
            case .minimum: operation = .minimum
            case .maximum: operation = .maximum
            case .power:
                // Small whole exponents by multiplication (exact for negative bases too).
                switch graph.constantValue(b) {
                case 2: return LaneInstruction(.square, destination: destination, a: register(a))
                case 3: return LaneInstruction(.cube, destination: destination, a: register(a))
                default: operation = .power
                }
            }
            return LaneInstruction(operation, destination: destination, a: register(a), b: register(b))
        case .lessThanSelect(let a, let b, let c, let d):
            return LaneInstruction(.lessThanSelect, destination: destination, a: register(a), b: register(b), c: register(c), d: register(d))
        case .constant, .variable:
            preconditionFailure("leaves are loaded, not computed")
        }
    }

    static let unaryOperation: [ExpressionGraph.Unary: LaneInstruction.Operation] = [
        .negate: .negate, .exp: .exp, .log: .log, .sqrt: .sqrt, .abs: .abs, .sin: .sin, .cos: .cos, .tan: .tan,
        .atan: .atan, .erf: .erf, .erfc: .erfc, .erfcx: .erfcx,
    ]
}

/// The registers of one file: pinned values (loaded from outside, never overwritten), values
/// kept to the end of the file's run (`keep`), and temporaries reused after their last use.
struct FileAllocation {
    var register: [Int: Int] = [:]
    var keep = Set<Int>()
    private var pinned = Set<Int>()
    private var free: [Int] = []
    private(set) var count = 0

    mutating func allocate() -> Int {
        if let r = free.popLast() { return r }
        count += 1
        return count - 1
    }

    /// A register for `node`'s value, loaded from outside the file's instructions.
    mutating func pin(_ node: Int) {
        guard register[node] == nil else { return }
        register[node] = allocate()
        pinned.insert(node)
    }

    /// The instructions computing `nodes` (in this order) over this file's registers; each
    /// operand is a pinned value or an earlier node of `nodes`.
    /// `external` gives an operand of another file as an instruction's operand (`LaneInstruction.operand`).
    mutating func instructions(_ fusion: Fusion, nodes: [Int], external: (Int) -> Int?) -> [LaneInstruction] {
        var lastUse: [Int: Int] = [:]
        for (position, n) in nodes.enumerated() {
            for o in fusion.operands(n) { lastUse[o] = position }
        }
        var result: [LaneInstruction] = []
        for (position, n) in nodes.enumerated() {
            let operands = fusion.operands(n)
            guard !operands.isEmpty else { continue }
            // Operands whose last use this is give their registers back first, so the
            // destination may reuse one (each instruction reads a point's operands before writing it).
            for o in Set(operands) where lastUse[o] == position && !pinned.contains(o) && !keep.contains(o) {
                if let r = register[o] { free.append(r) }
            }
            let destination = allocate()
            register[n] = destination
            result.append(fusion.instruction(n, destination: destination) { o in
                if let r = register[o] { return LaneInstruction.operand(r) }
                guard let e = external(o) else { preconditionFailure("operand \(o) of node \(n) has no register") }
                return e
            })
            // A value nothing reads and no one keeps (none: every node is needed) would leak a register.
        }
        return result
    }
}

/// Products fused into the sums they feed: a * b + c, a * b - c and c - a * b as one instruction
/// where the product is used by that sum alone, in the same stage, and is no output.
struct Fusion {
    let graph: ExpressionGraph
    /// Sum node → (the product's operands a, b; the other operand c; the operation).
    private var fused: [Int: (a: Int, b: Int, c: Int, operation: LaneInstruction.Operation)] = [:]
    /// The products computed inside a fused instruction (no instruction of their own).
    private(set) var absorbed = Set<Int>()

    init(_ graph: ExpressionGraph, needed: [Bool], outputs: [Int], stage: [EvaluationStage]) {
        self.graph = graph
        var uses = [Int](repeating: 0, count: graph.nodes.count)
        for n in graph.nodes.indices where needed[n] { for o in ExpressionGraph.operands(graph.nodes[n]) { uses[o] += 1 } }
        for o in outputs { uses[o] += 1 }
        func product(_ m: Int, feeding n: Int) -> (Int, Int)? {
            guard case .binary(.multiply, let a, let b) = graph.nodes[m], uses[m] == 1, stage[m] == stage[n], !absorbed.contains(m) else { return nil }
            return (a, b)
        }
        for n in graph.nodes.indices where needed[n] {
            guard case .binary(let op, let x, let y) = graph.nodes[n], op == .add || op == .subtract, x != y else { continue }
            if let (a, b) = product(x, feeding: n) {
                fused[n] = (a, b, y, op == .add ? .multiplyAdd : .multiplySubtract)
                absorbed.insert(x)
            } else if let (a, b) = product(y, feeding: n) {
                fused[n] = (a, b, x, op == .add ? .multiplyAdd : .negatedMultiplyAdd)
                absorbed.insert(y)
            }
        }
    }

    /// The values node `n`'s instruction reads.
    func operands(_ n: Int) -> [Int] {
        if let f = fused[n] { return [f.a, f.b, f.c] }
        return ExpressionGraph.operands(graph.nodes[n])
    }

    /// Node `n`'s instruction, its operands' registers given by `register`.
    func instruction(_ n: Int, destination: Int, register: (Int) -> Int) -> LaneInstruction {
        if let f = fused[n] {
            return LaneInstruction(f.operation, destination: destination, a: register(f.a), b: register(f.b), c: register(f.c))
        }
        return StagedCompiler.instruction(graph, n, destination: destination, register: register)
    }
}
