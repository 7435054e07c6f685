import Foundation

/// Files built to lie about their sizes, for the tests that check a reader believes nothing it
/// has not checked (docs/reliability.md, class 2).
public enum HostileFiles {
    /// A little-endian classic TIFF of one uncompressed float32 page whose header claims
    /// `width` x `height` pixels in one strip, followed by only `dataBytes` bytes of data.
    public static func tiffClaiming(width: UInt32, height: UInt32, dataBytes: Int = 64) -> Data {
        var bytes: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
        func u16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xFF)) } }
        // tag, type (3 SHORT, 4 LONG), value; sorted by tag as TIFF requires.
        let entryCount = 10
        let dataOffset = UInt32(8 + 2 + entryCount * 12 + 4)
        let entries: [(UInt16, UInt16, UInt32)] = [
            (256, 4, width), (257, 4, height), (258, 3, 32), (259, 3, 1), (262, 3, 1),
            (273, 4, dataOffset), (277, 3, 1), (278, 4, height), (279, 4, UInt32(dataBytes)), (339, 3, 3),
        ]
        u16(UInt16(entryCount))
        for (tag, type, value) in entries {
            u16(tag); u16(type); u32(1)
            if type == 3 { u16(UInt16(value)); u16(0) } else { u32(value) }
        }
        u32(0)  // no next page
        bytes += [UInt8](repeating: 0, count: dataBytes)
        return Data(bytes)
    }
}
