import FitCore
import Foundation

/// The fitting stage of a `FitRun` as several workers, each fitting whole blocks on its own.
///
/// With the multi-threaded CPU backend, one worker per core, each with a one-thread engine, beats
/// one engine spread over every core block after block: a block's serial parts (allocating and
/// filling its results, the last SIMD groups, the tally) then overlap with the other workers'
/// fitting instead of leaving cores idle at every block's fork and join. Any other backend (an
/// OpenCL device, the reference) gets a single worker with the engine as it is. A fit's result
/// does not depend on which engine fits it: each fit runs in its own SIMD lane.
enum FitWorkers {
    /// The engines of the workers for `engine`.
    static func engines(for engine: FitEngine) -> [FitEngine] {
        guard let workers = engine.backend.singleThreadWorkers(), workers.count > 1 else { return [engine] }
        return workers.map { FitEngine(backend: $0) }
    }

    /// Pixels per block: about 4 MB of float32 per block for one-thread workers (a few
    /// milliseconds of fitting each, so the first fits start early and the read buffers stay in
    /// cache), 32 MB for a single engine that spreads each block over a device or every core.
    static func blockFrames(pixelsPerFrame: Int, workers: Int) -> Int {
        let pixels = workers > 1 ? 1 << 20 : 1 << 23
        return max(1, min(65_536, pixels / max(1, pixelsPerFrame)))
    }
}

/// An item with its place in the run's order: workers finish blocks out of order, and the run
/// hands their results to the sinks by number.
struct Numbered<Value> {
    let number: Int
    let value: Value
}

/// Counts the workers still running; the last to finish closes the channel they feed.
final class WorkerCount: @unchecked Sendable {
    private let lock = NSLock()
    private var running: Int
    init(_ running: Int) { self.running = running }

    /// True for the last worker to finish.
    func finish() -> Bool {
        lock.lock(); defer { lock.unlock() }
        running -= 1
        return running == 0
    }
}
