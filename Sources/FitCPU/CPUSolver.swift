import CSystemInfo
import Dispatch
import FitCore

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

    /// The cores this process may run on: on Linux its CPU affinity (so `taskset` and container
    /// CPU sets count) capped by its cgroup's CPU quota, the online processors elsewhere.
    public static var coreCount: Int { Int(ff_usable_core_count()) }

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
                    LaneGroupVisitor(work: work, groups: first..<last).solve(prepared.model)
                }
            }
        }}}}}}
    }
}

/// Hands out chunk indices 0..<count to worker threads, each once.
final class ChunkCounter: @unchecked Sendable {
    private let lock = FitLock()
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

/// Runs the lane-group solver of one model over a range of groups.
struct LaneGroupVisitor<Lane: FitLane> {
    let work: LaneGroupWork<Lane>
    let groups: Range<Int>

    /// Each model's type with the accumulator of its parameter count, by a switch on the id at
    /// run time, so the compiler specialises exactly one solver per model and lane type. (Through
    /// `ModelID.dispatch` with a switch on `Model.parameterCount` it specialised the solver for
    /// every model with every accumulator, nearly all of them dead, and at 15 models FitCPU's
    /// release compile ran past 30 minutes.) `solve` checks the pairing.
    func solve(_ model: ModelID) {
        typealias L = Lane
        switch model {
        case .gauss1D: solve(Gauss1DModel<L>.self, Accumulator4<L>.self, CurvePoints.self)
        case .gauss2D: solve(Gauss2DModel<L>.self, Accumulator5<L>.self, GridPoints.self)
        case .gauss2DElliptic: solve(Gauss2DEllipticModel<L>.self, Accumulator6<L>.self, GridPoints.self)
        case .gauss2DRotated: solve(Gauss2DRotatedModel<L>.self, Accumulator7<L>.self, GridPoints.self)
        case .cauchy2DElliptic: solve(Cauchy2DEllipticModel<L>.self, Accumulator6<L>.self, GridPoints.self)
        case .gauss2DPixelated: solve(Gauss2DPixelatedModel<L>.self, Accumulator5<L>.self, GridPoints.self)
        case .linear1D: solve(Linear1DModel<L>.self, Accumulator2<L>.self, CurvePoints.self)
        case .fletcherPowellHelix: solve(FletcherPowellHelixModel<L>.self, Accumulator3<L>.self, CurvePoints.self)
        case .brownDennis: solve(BrownDennisModel<L>.self, Accumulator4<L>.self, CurvePoints.self)
        case .spline1D: solve(Spline1DModel<L>.self, Accumulator3<L>.self, CurvePoints.self)
        case .spline2D: solve(Spline2DModel<L>.self, Accumulator4<L>.self, GridPoints.self)
        case .spline3D: solve(Spline3DModel<L>.self, Accumulator5<L>.self, GridPoints.self)
        case .kinetics1: solve(KineticsModel<L, OneExponential>.self, Accumulator5<L>.self, CurvePoints.self)
        case .kinetics2: solve(KineticsModel<L, TwoExponentials>.self, Accumulator7<L>.self, CurvePoints.self)
        case .kinetics3: solve(KineticsModel<L, ThreeExponentials>.self, Accumulator9<L>.self, CurvePoints.self)
        case .kinetics4: solve(KineticsModel<L, FourExponentials>.self, LoopAccumulator<L, ElevenParameters>.self, CurvePoints.self)
        case .kinetics1Artifact: solve(KineticsModel<L, WithArtifact<OneExponential>>.self, Accumulator8<L>.self, CurvePoints.self)
        case .kinetics2Artifact:
            solve(KineticsModel<L, WithArtifact<TwoExponentials>>.self, LoopAccumulator<L, TenParameters>.self, CurvePoints.self)
        case .kinetics3Artifact:
            solve(KineticsModel<L, WithArtifact<ThreeExponentials>>.self, LoopAccumulator<L, TwelveParameters>.self, CurvePoints.self)
        case .kinetics4Artifact:
            solve(KineticsModel<L, WithArtifact<FourExponentials>>.self, LoopAccumulator<L, FourteenParameters>.self, CurvePoints.self)
        default:
            // A runtime model: its staged program, for any parameter count (`RuntimeModelPass`).
            precondition(work.prepared.runtimeModel != nil, "\(model.name): neither a compiled model nor a registered runtime model")
            switch model.parameterCount {
            case 2: solveRuntime(Accumulator2<L>.self)
            case 3: solveRuntime(Accumulator3<L>.self)
            case 4: solveRuntime(Accumulator4<L>.self)
            case 5: solveRuntime(Accumulator5<L>.self)
            case 6: solveRuntime(Accumulator6<L>.self)
            case 7: solveRuntime(Accumulator7<L>.self)
            case 8: solveRuntime(Accumulator8<L>.self)
            case 9: solveRuntime(Accumulator9<L>.self)
            default: solveRuntime(BlockSums<L>.self)
            }
        }
    }

    /// A runtime model's solver with sums `Sums` (`RuntimeModelPass`).
    func solveRuntime<Sums: PointAccumulator>(_ sums: Sums.Type) where Sums.Lane == Lane {
        precondition(Sums.self == BlockSums<Lane>.self || Sums.parameterCount == work.prepared.parameterCount,
                     "\(work.prepared.model.name): \(Sums.parameterCount) sums for \(work.prepared.parameterCount) parameters")
        let solver = LaneGroupSolver<RuntimeModelPass<Lane, Sums>>(work: work)
        for group in groups { solver.solve(group: group) }
    }

    func solve<Model: FitModel, Accumulator: PointAccumulator, Geometry: PointGeometry>(
        _ model: Model.Type, _ accumulator: Accumulator.Type, _ geometry: Geometry.Type
    ) where Model.Lane == Lane, Accumulator.Lane == Lane {
        precondition(Model.id == work.prepared.model && Model.parameterCount == Accumulator.parameterCount
                     && Accumulator.kind == Model.id.descriptor.accumulator && Geometry.isGrid == (Model.id.geometry == .grid),
                     "\(work.prepared.model.name): model type \(Model.id.name) with the \(Accumulator.kind) accumulator of \(Accumulator.parameterCount) parameters")
        let solver = LaneGroupSolver<CompiledModelPass<Model, Accumulator, Geometry>>(work: work)
        for group in groups { solver.solve(group: group) }
    }
}
