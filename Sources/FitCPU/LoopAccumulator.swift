import FitCore

/// A parameter count as a type, for `LoopAccumulator`.
protocol AccumulatorSize { static var parameterCount: Int { get } }
enum TenParameters: AccumulatorSize { static var parameterCount: Int { 10 } }
enum ElevenParameters: AccumulatorSize { static var parameterCount: Int { 11 } }
enum TwelveParameters: AccumulatorSize { static var parameterCount: Int { 12 } }
enum FourteenParameters: AccumulatorSize { static var parameterCount: Int { 14 } }

/// Gradient and packed curvature for models of 10 or more parameters (the kinetics models with
/// four exponentials or the coherent artefact), summed in memory by loops. The written-out
/// accumulators (`Accumulator2` ... `Accumulator9`) keep every sum in a register; at 10-14
/// parameters there are 65-119 sums, more than any vector unit has registers, and written out they
/// took FitCPU's release compile past 30 minutes. One allocation per LM pass of a lane group.
struct LoopAccumulator<Lane: FitLane, Size: AccumulatorSize>: PointAccumulator {
    static var parameterCount: Int { Size.parameterCount }
    static var kind: ModelDescriptor.Accumulator { .loop }
    /// g (p values), then the packed curvature (p (p + 1) / 2), then the point's derivatives and
    /// its weighted derivatives (p each).
    let sums: UnsafeMutablePointer<Lane>

    @inline(__always)
    init() {
        let p = Size.parameterCount
        let count = p + p * (p + 1) / 2 + 2 * p
        sums = UnsafeMutablePointer<Lane>.allocate(capacity: count)
        sums.initialize(repeating: Lane(0), count: count)
    }

    @inline(__always)
    mutating func add(_ d: ParameterLanes<Lane>, residualWeight r: Lane, curvatureWeight c: Lane, weighted: Bool) {
        let p = Size.parameterCount
        let g = sums, h = sums + p, dv = sums + p + p * (p + 1) / 2, cv = dv + p
        for i in 0..<p {
            let di = d[i]
            dv[i] = di
            g[i] = g[i].adding(r, times: di)
            cv[i] = weighted ? c * di : di
        }
        var k = 0
        for i in 0..<p {
            let ci = cv[i]
            for j in 0...i {
                h[k] = h[k].adding(ci, times: dv[j])
                k += 1
            }
        }
    }

    /// Writes the sums out and frees them: the accumulator is done.
    @inline(__always)
    func store(gradient: UnsafeMutablePointer<Lane>, curvature: UnsafeMutablePointer<Lane>) {
        let p = Size.parameterCount
        gradient.update(from: sums, count: p)
        curvature.update(from: sums + p, count: p * (p + 1) / 2)
        sums.deallocate()
    }
}
