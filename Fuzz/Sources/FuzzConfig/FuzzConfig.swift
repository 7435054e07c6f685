import Acquisition

/// libFuzzer target: any bytes as a scan plan and as an instrument file (TOML). Instrument files
/// that name real or emulated hardware (a serial port, the Newport emulator, a replay folder) are
/// parsed as plans only: opening ports is not what is fuzzed here.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let plan = try? ScanPlan.parse(text, file: "fuzz.toml") { _ = plan.points.count }
    let touchesHardware = ["port", "newport", "replay", "path"].contains { text.contains($0) }
    if !touchesHardware { _ = try? InstrumentFile.parse(text, file: "fuzz.toml") }
    return 0
}
