import Foundation
import TAMData

/// libFuzzer target: any bytes as a TIFF stack, read whole, page by page and by shape. Every
/// outcome but a crash, a hang or a sanitizer report is fine: bad files must throw.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTIFF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzFiles.path("input.tif")
    FuzzFiles.write(data, size, to: path)
    _ = try? TIFFStack.shape(path)
    _ = try? TIFFStack.read(path)
    _ = try? TIFFStack.readPage(path, page: 1)
    if let reader = try? TIFFPageReader(path) { _ = try? reader.read(pages: 0..<min(reader.pageCount, 4)) }
    return 0
}

/// The fuzzer's scratch files: one folder per process.
enum FuzzFiles {
    static let folder: String = {
        let folder = NSTemporaryDirectory() + "femtofit-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()
    static func path(_ name: String) -> String { folder + "/" + name }
    static func write(_ data: UnsafePointer<UInt8>, _ size: Int, to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    }
}
