import COpenCL
import FitCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Device time spent by a solver, from OpenCL's event profiling: kernels apart from transfers,
/// so `femtofit bench` can say which one limits a device. Accumulates until `reset()`.
public final class OpenCLTimings: @unchecked Sendable {
    public struct Totals: Sendable, Equatable {
        public var kernelSeconds = 0.0
        public var writeSeconds = 0.0
        public var readSeconds = 0.0
        public var bytesWritten = 0
        public var bytesRead = 0
        public var launches = 0
        public var transferSeconds: Double { writeSeconds + readSeconds }
    }

    /// What one command was, for the totals.
    public enum Kind: Sendable { case write(bytes: Int), read(bytes: Int), kernel }

    private var current = Totals()
    private let lock = FitLock()

    public init() {}

    public var totals: Totals { lock.lock(); defer { lock.unlock() }; return current }

    public func reset() { lock.lock(); current = Totals(); lock.unlock() }

    /// Adds the profiled durations of finished `events`, then releases them.
    func record(_ events: [(cl_event, Kind)], library: OpenCLLibrary) {
        var added = Totals()
        for (event, kind) in events {
            let seconds = library.profiledSeconds(event) ?? 0
            switch kind {
            case let .write(bytes): added.writeSeconds += seconds; added.bytesWritten += bytes
            case let .read(bytes): added.readSeconds += seconds; added.bytesRead += bytes
            case .kernel: added.kernelSeconds += seconds; added.launches += 1
            }
            _ = library.releaseEvent(event)
        }
        lock.lock()
        current.kernelSeconds += added.kernelSeconds
        current.writeSeconds += added.writeSeconds
        current.readSeconds += added.readSeconds
        current.bytesWritten += added.bytesWritten
        current.bytesRead += added.bytesRead
        current.launches += added.launches
        lock.unlock()
    }
}
