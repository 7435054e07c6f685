import ArgumentParser
import FitOpenCL

/// `femtofit devices`: the OpenCL platforms and devices, and which one `auto` picks.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List OpenCL platforms and devices, and the one --backend auto would use.")

    func run() throws {
        let devices: [OpenCLDevice]
        do {
            devices = try OpenCLDevice.all(try OpenCLLibrary.shared.get())
        } catch {
            print("no OpenCL devices: \(error)")
            print("auto uses the SIMD CPU backend")
            return
        }
        let automatic = OpenCLDevice.automatic(among: devices)
        for device in devices {
            let memory = Double(device.globalMemoryBytes) / 1_073_741_824
            print("[\(device.index)] \(device.name)")
            print("    platform: \(device.platformName) (\(device.platformVersion))")
            print("    vendor: \(device.vendor); type: \(device.kind.rawValue); compute units: \(device.computeUnits)")
            print("    memory: \(String(format: "%.1f", memory)) GiB; fp64: \(device.supportsDouble ? "yes" : "no"); driver: \(device.driverVersion)")
        }
        if let gpu = devices.first(where: { $0.kind == .gpu }), gpu == automatic {
            print("auto: device [\(gpu.index)] \(gpu.name)")
        } else {
            print("auto: the SIMD CPU backend (no OpenCL GPU); --backend opencl uses [\(automatic?.index ?? 0)] \(automatic?.name ?? "")")
        }
    }
}
