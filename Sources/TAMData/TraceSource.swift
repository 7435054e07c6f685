/// Traces on one delay axis, read a block at a time: a kinetics run holds one block of them, not
/// the whole input, so its memory does not grow with the trace count.
public protocol TraceSource {
    /// Delays, fs, one per point of every trace, rising.
    var delays: [Double] { get }
    var traceCount: Int { get }
    /// Each trace's label: its probe wavelength in nm (or a pixel index).
    func labels(_ range: Range<Int>) throws -> [Double]
    /// Traces `range`, trace-major, `delays.count` values each; NaN for a missing point.
    func read(_ range: Range<Int>) throws -> [Float]
}

extension TraceMatrix: TraceSource {
    public func labels(_ range: Range<Int>) -> [Double] { Array(wavelengths[range]) }
    public func read(_ range: Range<Int>) -> [Float] {
        Array(values[range.lowerBound * delays.count ..< range.upperBound * delays.count])
    }
}
