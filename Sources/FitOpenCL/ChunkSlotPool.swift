import FitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chunk slots kept from one solve to the next, so repeated solves of the same shape (a live
/// fit of every frame batch, a benchmark's runs) reuse their kernel objects and buffers instead
/// of making new ones and paying the first touch of fresh memory: on PoCL that touch cost a
/// third as much as the kernel. Only slots whose buffers total at most `keptBytes` are kept, so
/// a large fit does not leave its memory held after it ends. A slot taken is the caller's alone.
final class ChunkSlotPool: @unchecked Sendable {
    /// What makes a slot reusable: the same kernel, queue, capacity and buffer layout.
    struct Key: Hashable {
        let program: UInt
        let kernelName: String
        let queue: Int
        let capacity: Int
        let bytesPerFit: [Int]
        let sharedArguments: [Int]
        let transfer: OpenCLTransfer
    }

    static let keptBytes = 64 << 20
    private var idle: [Key: ChunkSlot] = [:]
    private let lock = FitLock()

    /// The kept slot for `key`, removed from the pool, or nil.
    func take(_ key: Key) -> ChunkSlot? {
        lock.lock(); defer { lock.unlock() }
        return idle.removeValue(forKey: key)
    }

    /// Keeps an idle slot for the next solve of the same shape, replacing slots of other shapes.
    func give(_ slot: ChunkSlot, key: Key) {
        guard slot.fits == nil, key.capacity * key.bytesPerFit.reduce(0, +) <= Self.keptBytes else { return }
        lock.lock(); defer { lock.unlock() }
        idle = idle.filter { $0.key.program == key.program && $0.key.capacity == key.capacity && $0.key.bytesPerFit == key.bytesPerFit }
        idle[key] = slot
    }
}
