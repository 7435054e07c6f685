import CLaneMath

/// Minimum, maximum and finiteness of a run of samples, 16 at a time: validating every fit's data
/// costs a fraction of one LM pass.
public enum DataRange {
    public static func of(_ data: UnsafeBufferPointer<Float>) -> (minimum: Float, maximum: Float, allFinite: Bool) {
        var low = SIMD16<Float>(repeating: .infinity), high = SIMD16<Float>(repeating: -.infinity)
        var finite = SIMD16<Int32>(repeating: -1)
        let whole = data.count / 16 * 16
        if let base = data.baseAddress {
            let raw = UnsafeRawPointer(base)
            for start in stride(from: 0, to: whole, by: 16) {
                let v = raw.loadUnaligned(fromByteOffset: start * 4, as: SIMD16<Float>.self)
                low = ff_min_f16(low, v)
                high = ff_max_f16(high, v)
                finite = finite & ff_finite_f16(v)
            }
        }
        var minimum = low.min(), maximum = high.max()
        var allFinite = finite.max() != 0  // lanes are -1 (finite) or 0
        for k in whole..<data.count {
            let z = data[k]
            minimum = Swift.min(minimum, z); maximum = Swift.max(maximum, z)
            allFinite = allFinite && z.isFinite
        }
        return (minimum, maximum, allFinite)
    }

}
