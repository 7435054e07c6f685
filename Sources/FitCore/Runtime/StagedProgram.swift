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
/// stay for the point stage, which runs once per row (or block). An instruction reads values of
/// the earlier files where they are, the same for every point (`LaneInstruction.OperandFile`);
/// the transfers copy the outputs that are not in the block file into it (a derivative constant
/// in a pass, or in a row), so that the sums read every output point by point.
public struct StagedProgram: Sendable, Equatable {
    /// Copies pass (or row) register `from` into every point of block register `to`.
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
                pass: [LaneInstruction], rowRegisterCount: Int, yRegister: Int, row: [LaneInstruction],
                blockRegisterCount: Int, xRegister: Int, passToBlock: [Transfer], column: [LaneInstruction],
                rowToBlock: [Transfer], point: [LaneInstruction], valueRegister: Int, derivativeRegisters: [Int]) {
        self.isGrid = isGrid; self.parameterCount = parameterCount
        self.passRegisterCount = passRegisterCount; self.constants = constants; self.parameterRegisters = parameterRegisters
        self.pass = pass; self.rowRegisterCount = rowRegisterCount; self.yRegister = yRegister
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
    /// The program's parts copied into memory of the evaluator's own, read per pass and per row
    /// without touching the program's arrays (whose reference counts cost more than a row's work).
    @usableFromInline let pass, row, column, point: UnsafeBufferPointer<LaneInstruction>
    @usableFromInline let passToBlock, rowToBlock: UnsafeBufferPointer<StagedProgram.Transfer>
    @usableFromInline let parameterRegisters: UnsafeBufferPointer<Int>
    @usableFromInline let isGrid: Bool
    @usableFromInline let xRegister: Int
    @usableFromInline let valueRegister: Int
    @usableFromInline let derivativeRegisters: UnsafeBufferPointer<Int>

    /// An evaluator for grid ROIs of `width` x `height` (`program.isGrid`), or for curves in
    /// blocks of up to `width` points (`height` unused).
    public init(_ program: StagedProgram, width: Int, height: Int) {
        self.program = program
        blockCapacity = max(width, 1)
        rows = program.isGrid ? max(height, 1) : 0
        func copy<T>(_ array: [T]) -> UnsafeBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
            _ = buffer.initialize(from: array)
            return UnsafeBufferPointer(rebasing: buffer[0..<array.count])
        }
        pass = copy(program.pass); row = copy(program.row); column = copy(program.column); point = copy(program.point)
        passToBlock = copy(program.passToBlock); rowToBlock = copy(program.rowToBlock)
        parameterRegisters = copy(program.parameterRegisters)
        derivativeRegisters = copy(program.derivativeRegisters)
        isGrid = program.isGrid
        xRegister = program.xRegister
        valueRegister = program.valueRegister
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
        for buffer in [pass, row, column, point] { buffer.baseAddress?.deallocate() }
        for buffer in [passToBlock, rowToBlock] { buffer.baseAddress?.deallocate() }
        parameterRegisters.baseAddress?.deallocate(); derivativeRegisters.baseAddress?.deallocate()
    }

    /// The pass stage at `parameters` (one lane value per parameter), then the row stage for every
    /// row and the column stage for every column.
    @inlinable
    public func beginPass(parameters: UnsafePointer<Lane>) {
        for (j, register) in parameterRegisters.enumerated() where register >= 0 { passFile[register] = parameters[j] }
        LaneInstruction.run(pass, registers: passFile, stride: 1, count: 1)
        if isGrid {
            LaneInstruction.run(row, registers: rowFile, stride: rows, count: rows, pass: passFile)
        }
        for transfer in passToBlock {
            broadcast(passFile[transfer.from], into: blockFile + transfer.to * blockCapacity, count: blockCapacity)
        }
        if isGrid { LaneInstruction.run(column, registers: blockFile, stride: blockCapacity, count: blockCapacity, pass: passFile) }
    }

    /// A grid model's point stage for row `row`: the value and derivatives of its `width` pixels.
    @inlinable
    public func evaluateRow(_ row: Int) {
        for transfer in rowToBlock {
            broadcast(rowFile[transfer.from * rows + row], into: blockFile + transfer.to * blockCapacity, count: blockCapacity)
        }
        LaneInstruction.run(point, registers: blockFile, stride: blockCapacity, count: blockCapacity,
                            row: rowFile + row, rowStride: rows, pass: passFile)
    }

    /// A curve model's point stage for `count` (at most `blockCapacity`) points at x values `x`.
    @inlinable
    public func evaluateBlock(x: UnsafePointer<Lane>, count: Int) {
        if xRegister >= 0 { (blockFile + xRegister * blockCapacity).update(from: x, count: count) }
        LaneInstruction.run(point, registers: blockFile, stride: blockCapacity, count: count, pass: passFile)
    }

    /// The model's values over the last block evaluated.
    @inlinable public var value: UnsafePointer<Lane> { UnsafePointer(blockFile + valueRegister * blockCapacity) }
    /// Its derivatives by parameter `j` over the last block evaluated.
    @inlinable public func derivative(_ j: Int) -> UnsafePointer<Lane> {
        UnsafePointer(blockFile + derivativeRegisters[j] * blockCapacity)
    }

    @inlinable @inline(__always)
    @usableFromInline func broadcast(_ value: Lane, into target: UnsafeMutablePointer<Lane>, count: Int) {
        for k in 0..<count { target[k] = value }
    }
}
