import Acquisition
import ArgumentParser
import Foundation
import FitOpenCL

/// `femtofit devices`: the OpenCL platforms and devices, which one `auto` picks, and the
/// instrument (the simulated microscope, or an instrument file's) with each device's state.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List OpenCL devices (and which one --backend auto uses) and the instrument's devices.")

    @Option(help: "Instrument file (TOML) to list; without it, the simulated TAM microscope.")
    var instrument: String?

    func run() throws {
        listOpenCL()
        print("")
        try listInstrument()
    }

    /// Each device of the instrument: driver, what it reports once connected, its state.
    func listInstrument() throws {
        let rig: Instrument
        do { rig = try instrument.map(InstrumentFile.load) ?? Instrument.simulated() } catch {
            warn("\(error)")
            throw ExitCode(ExitStatus.of(error).rawValue)
        }
        print("instrument: \(rig.source)")
        for device in rig.devices {
            var detail = String(describing: type(of: device))
            do {
                try device.connect()
                switch device {
                case let stage as NewportDelayStage:
                    detail += ": \(stage.identity) on \(stage.link.path), \(try stage.status()), travel \(stage.travel) mm"
                case let stage as DelayStage:
                    detail += ": travel \(stage.travel) mm, reaches \(String(format: "%.0f...%.0f", stage.reach.lowerBound, stage.reach.upperBound)) fs"
                case let camera as Camera:
                    detail += ": \(camera.frameWidth)x\(camera.frameHeight) frames"
                case let wheel as FilterWheel:
                    detail += ": bands \(wheel.wavelengths.values.sorted().map { "\(Int($0))" }.joined(separator: ", ")) nm"
                case let attenuator as PumpAttenuator:
                    detail += ": calibrated \(attenuator.calibration.pulseEnergiesNJ.min()!)...\(attenuator.calibration.pulseEnergiesNJ.max()!) nJ"
                default: break
                }
                print("  \(device.name): \(device.lifecycle.state.rawValue) — \(detail)")
            } catch {
                print("  \(device.name): \(device.lifecycle.state.rawValue) — \(detail); cannot connect: \(error)")
            }
        }
        rig.end()
    }

    func listOpenCL() {
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
