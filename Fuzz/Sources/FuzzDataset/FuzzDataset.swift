import Foundation
import TAMData

/// libFuzzer target: any bytes as dataset.json, in a folder that holds two small valid stacks
/// (stack.tif, 3 pages of 8x6, and dark.tif) so that well-formed manifests reach the frame and
/// stack checks. Opening must throw for anything wrong, and never allocate what a field claims.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataset(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let folder = DatasetFolder.path
    _ = FileManager.default.createFile(atPath: folder + "/dataset.json", contents: Data(bytes: data, count: size))
    if let dataset = try? Dataset.open(folder) {
        for entry in dataset.manifest.frames.prefix(8) { _ = try? dataset.frame(entry) }
        for index in dataset.manifest.axes.fluence.indices.prefix(4) { _ = try? dataset.manifest.absorbedPerDot(fluence: index) }
    }
    return 0
}

enum DatasetFolder {
    static let path: String = {
        let folder = NSTemporaryDirectory() + "femtofit-fuzz-dataset-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let frame = ImageStack(width: 8, height: 6, pixels: (0..<(8 * 6 * 3)).map { Float($0 % 17) })
        try? TIFFStack.write(frame, to: folder + "/stack.tif")
        try? TIFFStack.write(ImageStack(width: 8, height: 6, pixels: [Float](repeating: 1, count: 48)), to: folder + "/dark.tif")
        return folder
    }()
}
