import FitCore
import FitEngine

/// A fit of many fits in chunks, so that memory stays bounded by one chunk, progress can be
/// reported and a cancel request is honoured between chunks. Both C APIs (femtofit's and
/// Gpufit's) run through it.
struct ChunkedFit {
    let engine: FitEngine
    let settings: FitSettings
    let fitCount: Int
    let pointCount: Int

    /// Fits per chunk: a twentieth of the batch (progress in 5 % steps), at least 1024 fits (so
    /// the per-chunk cost stays small), at most about 16 M points (64 MB of float32 data).
    var chunkSize: Int {
        let cap = max(1024, (1 << 24) / max(1, pointCount))
        return min(cap, max(1024, (fitCount + 19) / 20))
    }

    /// Why a chunked fit stopped early.
    enum Stop: Error {
        case cancelled
    }

    /// Fits each chunk `makeBatch` builds (for the range of fits it is given) and hands the
    /// results to `write`; after each chunk `shouldStop(done)` may end the run (cancellation,
    /// progress callbacks). Throws `FitError` for a whole-call problem, `Stop.cancelled` when
    /// stopped.
    func run(makeBatch: (Range<Int>) -> FitBatch, write: (Range<Int>, FitResults) -> Void,
             shouldStop: (Int) -> Bool) throws {
        var start = 0
        while start < fitCount {
            let range = start ..< min(fitCount, start + chunkSize)
            let results = try engine.fit(makeBatch(range), settings: settings)
            write(range, results)
            start = range.upperBound
            if shouldStop(start) && start < fitCount { throw Stop.cancelled }
        }
    }
}

/// Reads `count` values of float32 or float64 at `offset` from a C array as float32.
func floats(_ pointer: UnsafeRawPointer, isDouble: Bool, offset: Int, count: Int) -> [Float] {
    if isDouble {
        let source = pointer.assumingMemoryBound(to: Double.self) + offset
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Float(source[i]) }
            initialized = count
        }
    }
    return Array(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: Float.self) + offset, count: count))
}

/// Reads `count` float32 or float64 values at `offset` as float64.
func doubles(_ pointer: UnsafeRawPointer, isDouble: Bool, offset: Int, count: Int) -> [Double] {
    if isDouble {
        return Array(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: Double.self) + offset, count: count))
    }
    let source = pointer.assumingMemoryBound(to: Float.self) + offset
    return (0..<count).map { Double(source[$0]) }
}

/// `a * b`, or nil when it overflows.
func checkedProduct(_ a: Int, _ b: Int) -> Int? {
    let (value, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : value
}
