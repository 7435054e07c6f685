/// What Fiji/ImageJ need to open a written stack as a hyperstack with its axes and units: the
/// first page's ImageDescription ("ImageJ=..." lines: frame count, unit), the pixel size as the
/// resolution tags, and slice labels in ImageJ's private IJMetadata tags. Frames are a time axis;
/// log-spaced delays cannot be an ImageJ calibration (it knows only a uniform frame interval), so
/// each frame's delay goes into its label ("t = 120 fs").
public struct ImageJMetadata: Sendable, Equatable {
    /// Length unit of `pixelSize` ("nm").
    public var unit: String
    /// Pixel size in `unit` (in the sample plane).
    public var pixelSize: Double
    /// One label per page, or none.
    public var frameLabels: [String]

    public init(unit: String = "nm", pixelSize: Double, frameLabels: [String] = []) {
        self.unit = unit
        self.pixelSize = pixelSize
        self.frameLabels = frameLabels
    }

    /// Labels for frames at `delays` (fs), as femtofit writes them.
    public static func delayLabels(_ delays: [Double]) -> [String] {
        delays.map { "t = \($0.rounded() == $0 && abs($0) < 1e15 ? String(Int($0)) : String($0)) fs" }
    }

    /// The first page's ImageDescription; `extra` (femtofit's own JSON) goes in a line of its own,
    /// which ImageJ ignores.
    func description(pages: Int, extra: String?) -> String {
        var lines = ["ImageJ=1.11a", "images=\(pages)", "frames=\(pages)", "unit=\(unit)", "hyperstack=true", "mode=grayscale", "loop=false"]
        if let extra { lines.append("femtofit=\(extra)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// IJMetadataByteCounts and IJMetadata, little-endian (femtofit writes little-endian TIFFs):
    /// the header "IJIJ" and one (type, count) pair, then each label in UTF-16; the byte counts
    /// give the header's size and then each label's. Nil without labels.
    func tags() -> (byteCounts: [UInt32], data: [UInt8])? {
        guard !frameLabels.isEmpty else { return nil }
        func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xff) } }
        func code(_ text: String) -> UInt32 { text.utf8.reduce(0) { $0 << 8 | UInt32($1) } }  // "labl" as a big-endian int
        var header = littleEndian(code("IJIJ")) + littleEndian(code("labl")) + littleEndian(UInt32(frameLabels.count))
        var counts = [UInt32(header.count)]
        var body: [UInt8] = []
        for label in frameLabels {
            let bytes = label.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
            counts.append(UInt32(bytes.count))
            body += bytes
        }
        header += body
        return (counts, header)
    }

    /// The slice labels of a stack's IJMetadata, if it has any (little-endian files).
    static func labels(byteCounts: [UInt32], data: [UInt8]) -> [String]? {
        func readLittleEndian(_ offset: Int) -> UInt32? {
            guard offset + 4 <= data.count else { return nil }
            return (0..<4).reduce(0) { $0 | UInt32(data[offset + $1]) << (8 * $1) }
        }
        guard let headerSize = byteCounts.first, readLittleEndian(0) == 0x494a_494a else { return nil }
        var labels: [String] = []
        var offset = Int(headerSize), entry = 1
        var typeOffset = 4
        while typeOffset + 8 <= Int(headerSize), let type = readLittleEndian(typeOffset), let count = readLittleEndian(typeOffset + 4) {
            for _ in 0..<Int(count) {
                guard entry < byteCounts.count else { return nil }
                let size = Int(byteCounts[entry])
                guard offset + size <= data.count else { return nil }
                if type == 0x6c61_626c {  // "labl"
                    let units = stride(from: offset, to: offset + size - 1, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 }
                    labels.append(String(decoding: units, as: UTF16.self))
                }
                offset += size
                entry += 1
            }
            typeOffset += 8
        }
        return labels
    }
}
