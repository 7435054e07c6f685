import FitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The live contexts, by handle. A `femtofit_context *` handed to C is a token from this
/// registry, not the address of a Swift object: a call checks the token here, under a lock,
/// without dereferencing anything, so a destroyed, twice-destroyed or made-up handle gets
/// FEMTOFIT_ERROR and a message instead of a use-after-free. Tokens are never reused within a
/// process, so a stale handle cannot reach a newer context that happens to share its address.
///
/// A call takes a strong reference to the context while it runs; a destroy on another thread
/// unregisters the handle at once and the context is freed when the last running call returns.
enum ContextRegistry {
    private static let lock = FitLock()
    nonisolated(unsafe) private static var live: [UInt: Context] = [:]
    /// The next token; 16-aligned and far from 0 so that it looks like (and is stored as) a pointer.
    nonisolated(unsafe) private static var nextToken: UInt = 0x1000

    /// Registers `context` and returns its handle.
    static func register(_ context: Context) -> OpaquePointer {
        lock.withLock {
            let token = nextToken
            nextToken += 16
            live[token] = context
            return OpaquePointer(bitPattern: token)!
        }
    }

    /// The live context behind `handle`, or nil when it was never created or is destroyed.
    static func context(_ handle: OpaquePointer) -> Context? {
        lock.withLock { live[UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))] }
    }

    /// Unregisters `handle`; false when it was not live.
    static func remove(_ handle: OpaquePointer) -> Bool {
        let removed: Context? = lock.withLock {
            live.removeValue(forKey: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle))))
        }
        return removed != nil // the context itself is released here, outside the lock
    }

    /// The message for a handle that is not live, naming the function called.
    static func notLive(_ function: String) -> String {
        "\(function): this context is not live: it was destroyed already (or never came from femtofit_context_create); create a new one with femtofit_context_create"
    }
}
