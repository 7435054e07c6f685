import Dispatch
import Foundation

/// Independent per-series work on every core: each worker takes the next series until none are
/// left, and the results come back in input order, so the output does not depend on how many
/// threads ran or in what order they finished.
enum SeriesParallel {
    /// `transform` of each element, in order; `progress(done, total)` after each, one call at a time.
    static func map<Element, Output>(_ elements: [Element], threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                                     progress: ((Int, Int) -> Void)? = nil,
                                     _ transform: (Element) -> Output) -> [Output] {
        let count = elements.count
        var outputs = [Output?](repeating: nil, count: count)
        let lock = NSLock()
        var next = 0, done = 0
        outputs.withUnsafeMutableBufferPointer { results in
            let slots = results
            DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
                while true {
                    lock.lock()
                    let index = next
                    next += 1
                    lock.unlock()
                    guard index < count else { return }
                    slots[index] = transform(elements[index])
                    lock.lock()
                    done += 1
                    progress?(done, count)
                    lock.unlock()
                }
            }
        }
        return outputs.map { $0! }
    }
}
