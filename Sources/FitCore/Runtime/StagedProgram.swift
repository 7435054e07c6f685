/// A runtime model's value and derivatives as straight-line programs in stages, so that work is
/// done as rarely as what it depends on allows: what depends on the parameters alone once per LM
/// pass, what depends on the column alone once per column, on the row alone once per row, and
/// only the rest once per point. This is the built-in Gaussians' separable evaluation (one exp per
/// column and per row, not per pixel), found in any expression by module ModelLanguage, which
/// makes these programs; `StagedEvaluator` runs them on SIMD lanes (one fit per lane).
///
/// Three register files. The pass file holds one value per register (the parameters, constants
/// and everything computed from them). The row file (grid models) holds one value per row. The
/// block file holds a block of points per register: one row of a grid ROI, or a run of a curve's
/// points; the column stage runs over it once per pass (x = 0, 1, ... width - 1), and its values
/// stay for the point stage, which runs once per row (or block). Values cross from one file to
/// another by the transfers, each a broadcast of one register into one of the next file's.
public struct StagedProgram: Sendable, Equatable {
    /// Copies pass (or row) register `from` into every point of block (or row) register `to`.
    public struct Transfer: Sendable, Equatable {
        public var from: Int, to: Int
        public init(from: Int, to: Int) { self.from = from; self.to = to }
    }
    public struct Constant: Sendable, Equatable {
        public var register: Int, value: Double
        public init(register: Int, value: Double) { self.register = register; self.value = value }
    }

    /// A grid ROI (x = column, y = row) or a curve (x per point).
    public var isGrid: Bool
    public var parameterCount: Int

    public var passRegisterCount: Int
    public var constants: [Constant]
    /// Each parameter's pass register; -1 where the pass stage does not read it.
    public var parameterRegisters: [Int]
    public var pass: [LaneInstruction]

    public var rowRegisterCount: Int
    /// The row file's y register (the row index), -1 where no row value needs y.
    public var yRegister: Int
    public var passToRow: [Transfer]
    public var row: [LaneInstruction]

    public var blockRegisterCount: Int
    /// The block file's x register (the column; a curve's x), -1 where unused.
    public var xRegister: Int
    public var passToBlock: [Transfer]
    /// Grid models: once per pass over the columns.
    public var column: [LaneInstruction]
    /// Grid models: before each row's point stage.
    public var rowToBlock: [Transfer]
    public var point: [LaneInstruction]
    /// The block registers of the model's value and of its derivative by each parameter.
    public var valueRegister: Int
    public var derivativeRegisters: [Int]

    public init(isGrid: Bool, parameterCount: Int, passRegisterCount: Int, constants: [Constant], parameterRegisters: [Int],
                pass: [LaneInstruction], rowRegisterCount: Int, yRegister: Int, passToRow: [Transfer], row: [LaneInstruction],
                blockRegisterCount: Int, xRegister: Int, passToBlock: [Transfer], column: [LaneInstruction],
                rowToBlock: [Transfer], point: [LaneInstruction], valueRegister: Int, derivativeRegisters: [Int]) {
        self.isGrid = isGrid; self.parameterCount = parameterCount
        self.passRegisterCount = passRegisterCount; self.constants = constants; self.parameterRegisters = parameterRegisters
        self.pass = pass; self.rowRegisterCount = rowRegisterCount; self.yRegister = yRegister; self.passToRow = passToRow
        self.row = row; self.blockRegisterCount = blockRegisterCount; self.xRegister = xRegister; self.passToBlock = passToBlock
        self.column = column; self.rowToBlock = rowToBlock; self.point = point
        self.valueRegister = valueRegister; self.derivativeRegisters = derivativeRegisters
    }

    /// Instructions per stage, for reports: (pass, column, row, point).
    public var stageSizes: (pass: Int, column: Int, row: Int, point: Int) { (pass.count, column.count, row.count, point.count) }
}

/// Runs a `StagedProgram` on SIMD lanes, one fit per lane, with its register files allocated
/// once and reused for every pass: `beginPass` with the parameters, then per row (grid) or per
/// block of points (curve) the point stage, whose value and derivatives are then at `value` and
/// `derivative(j)`, one lane value per point of the block.
public final class StagedEvaluator<Lane: FitLane> {
    public let program: StagedProgram
    /// Points per block: a grid ROI's width, or up to this many points of a curve.
    public let blockCapacity: Int
    @usableFromInline let rows: Int
    @usableFromInline let passFile: UnsafeMutablePointer<Lane>
    @usableFromInline let rowFile: UnsafeMutablePointer<Lane>
    @usableFromInline let blockFile: UnsafeMutablePointer<Lane>

    /// An evaluator for grid ROIs of `width` x `height` (`program.isGrid`), or for curves in
    /// blocks of up to `width` points (`height` unused).
    public init(_ program: StagedProgram, width: Int, height: Int) {
        self.program = program
        blockCapacity = max(width, 1)
        rows = program.isGrid ? max(height, 1) : 0
        passFile = .allocate(capacity: max(program.passRegisterCount, 1))
        rowFile = .allocate(capacity: max(program.rowRegisterCount * rows, 1))
        blockFile = .allocate(capacity: max(program.blockRegisterCount * blockCapacity, 1))
        passFile.initialize(repeating: Lane(0), count: max(program.passRegisterCount, 1))
        rowFile.initialize(repeating: Lane(0), count: max(program.rowRegisterCount * rows, 1))
        blockFile.initialize(repeating: Lane(0), count: max(program.blockRegisterCount * blockCapacity, 1))
        for constant in program.constants { passFile[constant.register] = Lane(constant.value) }
        if program.isGrid {
            // The coordinates never change: y in the row file, x in the block file.
            if program.yRegister >= 0 { for r in 0..<rows { rowFile[program.yRegister * rows + r] = Lane(Double(r)) } }
            if program.xRegister >= 0 { for c in 0..<blockCapacity { blockFile[program.xRegister * blockCapacity + c] = Lane(Double(c)) } }
        }
    }

    deinit {
        passFile.deallocate(); rowFile.deallocate(); blockFile.deallocate()
    }

    /// The pass stage at `parameters` (one lane value per parameter), then the row stage for every
    /// row and the column stage for every column.
    @inlinable
    public func beginPass(parameters: UnsafePointer<Lane>) {
        let program = self.program
        for (j, register) in program.parameterRegisters.enumerated() where register >= 0 { passFile[register] = parameters[j] }
        LaneInstruction.run(program.pass, registers: passFile, stride: 1, count: 1)
        if program.isGrid {
            for transfer in program.passToRow { broadcast(passFile[transfer.from], into: rowFile + transfer.to * rows, count: rows) }
            LaneInstruction.run(program.row, registers: rowFile, stride: rows, count: rows)
        }
        for transfer in program.passToBlock {
            broadcast(passFile[transfer.from], into: blockFile + transfer.to * blockCapacity, count: blockCapacity)
        }
        if program.isGrid { LaneInstruction.run(program.column, registers: blockFile, stride: blockCapacity, count: blockCapacity) }
    }

    /// A grid model's point stage for row `row`: the value and derivatives of its `width` pixels.
    @inlinable
    public func evaluateRow(_ row: Int) {
        for transfer in program.rowToBlock {
            broadcast(rowFile[transfer.from * rows + row], into: blockFile + transfer.to * blockCapacity, count: blockCapacity)
        }
        LaneInstruction.run(program.point, registers: blockFile, stride: blockCapacity, count: blockCapacity)
    }

    /// A curve model's point stage for `count` (at most `blockCapacity`) points at x values `x`.
    @inlinable
    public func evaluateBlock(x: UnsafePointer<Lane>, count: Int) {
        if program.xRegister >= 0 { (blockFile + program.xRegister * blockCapacity).update(from: x, count: count) }
        LaneInstruction.run(program.point, registers: blockFile, stride: blockCapacity, count: count)
    }

    /// The model's values over the last block evaluated.
    @inlinable public var value: UnsafePointer<Lane> { UnsafePointer(blockFile + program.valueRegister * blockCapacity) }
    /// Its derivatives by parameter `j` over the last block evaluated.
    @inlinable public func derivative(_ j: Int) -> UnsafePointer<Lane> {
        UnsafePointer(blockFile + program.derivativeRegisters[j] * blockCapacity)
    }

    @inlinable @inline(__always)
    @usableFromInline func broadcast(_ value: Lane, into target: UnsafeMutablePointer<Lane>, count: Int) {
        for k in 0..<count { target[k] = value }
    }
}
