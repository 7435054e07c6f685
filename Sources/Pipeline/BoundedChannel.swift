import Foundation

/// A queue of at most `capacity` items between two threads: `put` waits while it is full, `take`
/// while it is empty. `close` ends it: `put` then drops its item and returns false, and `take`
/// returns what is left, then nil. The stages of a `FitRun` (read ahead, fit, write behind) pass
/// blocks and results through it, so each stage works while the others do.
final class BoundedChannel<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds `item`, waiting for room; false when the channel was closed.
    @discardableResult
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, waiting for one; nil once the channel is closed and empty.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Runs `body` on a thread of its own; `join` waits for it to end (and returns at once after).
final class StageThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var joined = false

    init(name: String, _ body: @escaping () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 22
        thread.start()
    }

    func join() {
        guard !joined else { return }
        done.wait()
        joined = true
    }
}
