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
        let order = graph.nodes.indices.filter { needed[$0] }

        // The values each file needs from another: (node, into file).
        var copiesIntoRow = Set<Int>(), copiesFromPassIntoBlock = Set<Int>(), copiesFromRowIntoBlock = Set<Int>()
        func needs(_ o: Int, in target: File) {
            switch (file(o), target) {
            case (.pass, .row): copiesIntoRow.insert(o)
            case (.pass, .block): copiesFromPassIntoBlock.insert(o)
            case (.row, .block): copiesFromRowIntoBlock.insert(o)
            default: break
            }
        }
        for n in order { for o in ExpressionGraph.operands(graph.nodes[n]) { needs(o, in: file(n)) } }
        for o in outputs { needs(o, in: .block) }

        // The pass file.
        var pass = FileAllocation()
        for n in order where file(n) == .pass && ExpressionGraph.operands(graph.nodes[n]).isEmpty { pass.pin(n) }
        for n in order where file(n) == .pass && (copiesIntoRow.contains(n) || copiesFromPassIntoBlock.contains(n)) {
            pass.keep.insert(n)
        }
        let passInstructions = pass.instructions(graph, nodes: order.filter { file($0) == .pass })

        // The row file: y and the pass values it reads, then the row stage.
        var row = FileAllocation()
        if isGrid, let y = order.first(where: { graph.nodes[$0] == .variable(parameterCount + 1) }) { row.pin(y) }
        for o in copiesIntoRow.sorted() { row.pin(o) }
        for n in order where file(n) == .row && copiesFromRowIntoBlock.contains(n) { row.keep.insert(n) }
        let rowInstructions = row.instructions(graph, nodes: order.filter { file($0) == .row })

        // The block file: x, the broadcast values, then the column stage and the point stage.
        var block = FileAllocation()
        if let x = order.first(where: { graph.nodes[$0] == .variable(parameterCount) }) { block.pin(x) }
        for o in copiesFromPassIntoBlock.sorted() { block.pin(o) }
        for o in copiesFromRowIntoBlock.sorted() { block.pin(o) }
        var readByPoints = Set<Int>()
        for n in order where stage[n] == .point { readByPoints.formUnion(ExpressionGraph.operands(graph.nodes[n])) }
        for n in order where stage[n] == .column && readByPoints.contains(n) { block.keep.insert(n) }
        for o in outputs where file(o) == .block { block.keep.insert(o) }
        let columnNodes = order.filter { stage[$0] == .column && !ExpressionGraph.operands(graph.nodes[$0]).isEmpty }
        let pointNodes = order.filter { stage[$0] == .point && !ExpressionGraph.operands(graph.nodes[$0]).isEmpty }
        // One allocation over both, in the order they run (column once per pass, then the points).
        let blockInstructions = block.instructions(graph, nodes: columnNodes + pointNodes)
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
            passToRow: copiesIntoRow.sorted().map { .init(from: pass.register[$0]!, to: row.register[$0]!) }, row: rowInstructions,
            blockRegisterCount: block.count, xRegister: xNode.flatMap { block.register[$0] } ?? -1,
            passToBlock: copiesFromPassIntoBlock.sorted().map { .init(from: pass.register[$0]!, to: block.register[$0]!) },
            column: columnInstructions,
            rowToBlock: copiesFromRowIntoBlock.sorted().map { .init(from: row.register[$0]!, to: block.register[$0]!) },
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
    mutating func instructions(_ graph: ExpressionGraph, nodes: [Int]) -> [LaneInstruction] {
        var lastUse: [Int: Int] = [:]
        for (position, n) in nodes.enumerated() {
            for o in ExpressionGraph.operands(graph.nodes[n]) { lastUse[o] = position }
        }
        var result: [LaneInstruction] = []
        for (position, n) in nodes.enumerated() {
            let operands = ExpressionGraph.operands(graph.nodes[n])
            guard !operands.isEmpty else { continue }
            // Operands whose last use this is give their registers back first, so the
            // destination may reuse one (each instruction reads a point's operands before writing it).
            for o in Set(operands) where lastUse[o] == position && !pinned.contains(o) && !keep.contains(o) {
                free.append(register[o]!)
            }
            let destination = allocate()
            register[n] = destination
            result.append(StagedCompiler.instruction(graph, n, destination: destination) { register[$0]! })
            // A value nothing reads and no one keeps (none: every node is needed) would leak a register.
        }
        return result
    }
}
