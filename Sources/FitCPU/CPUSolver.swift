import Dispatch
import FitCore
import Foundation

/// The CPU backend: Levenberg–Marquardt on SIMD lanes, one fit per lane (measured here to be the
/// fast layout: every lane runs the same instructions on its own fit), on all cores.
///
/// The algorithm, step for step, is the reference's (`ReferenceSolver`): same damping, same
/// acceptance, same convergence test, so the two agree to within float rounding. Each lane keeps
/// its own state and a branch-free mask says which lanes are still iterating; a SIMD group stops
/// when none is.
public struct CPUSolver: Sendable {
    public var precision: FitPrecision
    /// Worker threads; defaults to the machine's active cores.
    public var threadCount: Int

    public init(precision: FitPrecision = .single, threadCount: Int? = nil) {
        self.precision = precision
        self.threadCount = max(1, threadCount ?? CPUSolver.coreCount)
    }

    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Lanes in one SIMD group at the chosen precision.
    public var laneCount: Int { precision == .single ? SingleLane.laneCount : DoubleLane.laneCount }

    public typealias SingleLane = SIMD16<Float>
    public typealias DoubleLane = SIMD8<Double>

    /// Solves every fit of `prepared` into `results` (ROI-local coordinates; see `FitFinishing`).
    public func solve(_ prepared: PreparedFits, into results: inout FitResults) {
        var valid: [Int] = []
        valid.reserveCapacity(prepared.fitCount)
        for fit in 0..<prepared.fitCount {
            if prepared.problems[fit] == nil { valid.append(fit) } else { FitFinishing.writeInvalid(fit: fit, into: &results) }
        }
        guard !valid.isEmpty else { return }
        switch precision {
        case .single: run(SingleLane.self, prepared, valid, &results)
        case .double: run(DoubleLane.self, prepared, valid, &results)
        }
    }

    func run<Lane: FitLane>(_ lane: Lane.Type, _ prepared: PreparedFits, _ valid: [Int], _ results: inout FitResults) {
        let groups = (valid.count + Lane.laneCount - 1) / Lane.laneCount
        let chunks = min(groups, threadCount * 8)
        results.parameters.withUnsafeMutableBufferPointer { parameters in
        results.standardErrors.withUnsafeMutableBufferPointer { errors in
        results.stateCodes.withUnsafeMutableBufferPointer { states in
        results.chiSquares.withUnsafeMutableBufferPointer { chiSquares in
        results.iterations.withUnsafeMutableBufferPointer { iterations in
        valid.withUnsafeBufferPointer { validFits in
            let outputs = OutputPointers(parameters: parameters.baseAddress!, standardErrors: errors.baseAddress!,
                                         states: states.baseAddress!, chiSquares: chiSquares.baseAddress!,
                                         iterations: iterations.baseAddress!)
            let work = LaneGroupWork<Lane>(prepared: prepared, fits: validFits, outputs: outputs)
            // `threadCount` workers take chunks of groups from a shared counter until none is left.
            let next = ChunkCounter(count: chunks)
            DispatchQueue.concurrentPerform(iterations: min(threadCount, chunks)) { _ in
                while let chunk = next.take() {
                    let first = chunk * groups / chunks, last = (chunk + 1) * groups / chunks
                    _ = try? prepared.model.dispatch(to: LaneGroupVisitor(work: work, groups: first..<last))
                }
            }
        }}}}}}
    }
}

/// Hands out chunk indices 0..<count to worker threads, each once.
final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    init(count: Int) { self.count = count }
    func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// Where the group solvers write: raw pointers into one `FitResults`, each fit written by exactly
/// one thread.
struct OutputPointers: @unchecked Sendable {
    let parameters: UnsafeMutablePointer<Double>
    let standardErrors: UnsafeMutablePointer<Double>
    let states: UnsafeMutablePointer<Int32>
    let chiSquares: UnsafeMutablePointer<Double>
    let iterations: UnsafeMutablePointer<Int32>
}

struct LaneGroupVisitor<Lane: FitLane>: ModelVisitor {
    let work: LaneGroupWork<Lane>
    let groups: Range<Int>
    func visit<Model: FitModel>(_ model: Model.Type) throws where Model.Lane == Lane {
        switch Model.parameterCount {
        case 2: solve(Model.self, Accumulator2<Lane>.self)
        case 4: solve(Model.self, Accumulator4<Lane>.self)
        case 5: solve(Model.self, Accumulator5<Lane>.self)
        case 6: solve(Model.self, Accumulator6<Lane>.self)
        case 7: solve(Model.self, Accumulator7<Lane>.self)
        case 9: solve(Model.self, Accumulator9<Lane>.self)
        default: preconditionFailure("no point accumulator for \(Model.parameterCount) parameters: add it to scripts/generate-lane-vectors.py")
        }
    }

    func solve<Model: FitModel, Accumulator: PointAccumulator>(_ model: Model.Type, _ accumulator: Accumulator.Type)
    where Model.Lane == Lane, Accumulator.Lane == Lane {
        let solver = LaneGroupSolver<Model, Accumulator>(work: work)
        for group in groups { solver.solve(group: group) }
    }
}
