/// Numbers as fits.csv and shape.csv write them: the shortest text that reads back as the same
/// value, `nan`, `inf` and `-inf` for the others.
public enum CSVNumber {
    public static func text(_ v: Double) -> String { v.isNaN ? "nan" : (v.isInfinite ? (v > 0 ? "inf" : "-inf") : "\(v)") }

    /// Appends `v` to `bytes`; `single`: the value came from a float32 fit, and is written as the
    /// shortest float32 text (a float32 fit holds no more digits; float64 text would add noise).
    @inline(__always)
    public static func append(_ v: Double, single: Bool, to bytes: inout [UInt8]) {
        if v.isNaN { bytes.append(contentsOf: [0x6E, 0x61, 0x6E]); return }
        if v.isInfinite { bytes.append(contentsOf: v > 0 ? [0x69, 0x6E, 0x66] : [0x2D, 0x69, 0x6E, 0x66]); return }
        if single {
            let f = Float(v)
            if f.isFinite { appendShortest(f, to: &bytes); return }
        }
        appendShortest(v, to: &bytes)
    }

    /// `v`'s `description` (the shortest text that reads back as `v`) appended as one copy of its
    /// UTF-8 bytes: appending the String's `utf8` view went byte by byte and cost a third of
    /// formatting a fits.csv row.
    @inline(__always)
    static func appendShortest(_ v: Float, to bytes: inout [UInt8]) {
        var text = v.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    static func appendShortest(_ v: Double, to bytes: inout [UInt8]) {
        var text = v.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends a whole number in decimal.
    @inline(__always)
    public static func append(_ v: Int, to bytes: inout [UInt8]) {
        if v < 0 { bytes.append(0x2D) }
        var magnitude = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for k in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[k]) }
        }
    }
}
