import Foundation
import TAMData
import Transport

/// libFuzzer target: any bytes as a fits.csv (read as `femtofit analyze` reads it, then analysed
/// when it parses, on at most 4 series) and as a delay file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let table = try? FitsTable(csv: text, source: "fuzz.csv", pixelSize: nil) {
        for series in table.series.prefix(4) {
            _ = try? TransportAnalysis(delays: series.delays, sigmas: series.sigmas, errors: series.errors, valid: series.valid)
        }
    }
    _ = try? FitsTable(csv: text, source: "fuzz.csv", pixelSize: 55.6)
    let path = NSTemporaryDirectory() + "femtofit-fuzz-delays-\(getpid()).txt"
    _ = FileManager.default.createFile(atPath: path, contents: bytes)
    _ = try? DelayFile.read(path)
    _ = try? DelayFile.read(path, expectedCount: 7)
    return 0
}
