import Foundation

/// The time devices live on, in seconds. The simulated instrument runs on a `VirtualClock` by
/// default, so simulated exposures and moves take no wall time; `WallClock` is the real-time mode.
public protocol InstrumentClock: AnyObject, Sendable {
    var now: Double { get }
    /// Lets `seconds` pass (a virtual clock jumps; a wall clock sleeps).
    func wait(_ seconds: Double)
}

/// Time that passes only when a device waits: fast, deterministic simulations.
public final class VirtualClock: InstrumentClock, @unchecked Sendable {
    private let lock = NSLock()
    private var time: Double

    public init(start: Double = 0) { time = start }

    public var now: Double { lock.withLock { time } }

    public func wait(_ seconds: Double) {
        guard seconds > 0 else { return }
        lock.withLock { time += seconds }
    }
}

/// Real time, from a monotonic clock.
public final class WallClock: InstrumentClock, @unchecked Sendable {
    private let origin = DispatchTime.now().uptimeNanoseconds

    public init() {}

    public var now: Double { Double(DispatchTime.now().uptimeNanoseconds - origin) / 1e9 }

    public func wait(_ seconds: Double) {
        guard seconds > 0 else { return }
        Thread.sleep(forTimeInterval: seconds)
    }
}
