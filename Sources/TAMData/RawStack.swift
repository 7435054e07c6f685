import Foundation

/// Raw float32 ROIs stored one after another (native byte order, row-major), each fitted whole.
public enum RawStack {
    public static func read(_ path: String, width: Int, height: Int) throws -> ImageStack {
        guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16 else { throw TAMDataError(path, "the raw shape must be positive, e.g. --raw-shape 15x15") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TAMDataError(path, FileManager.default.fileExists(atPath: path) ? "cannot read the file; check its permissions" : "no such file; check the path")
        }
        let roiBytes = width * height * 4
        guard data.count > 0 else { throw TAMDataError(path, "the file is empty") }
        guard data.count % roiBytes == 0 else {
            throw TAMDataError(path, "holds \(data.count) bytes, not a whole number of \(width)x\(height) float32 ROIs (\(roiBytes) bytes each): \(data.count / roiBytes) whole ROIs and \(data.count % roiBytes) bytes left over. Check --raw-shape, or whether the file was cut short")
        }
        let pixels = data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
        return ImageStack(width: width, height: height, pixels: pixels)
    }
}
