import ArgumentParser
import FitCore

/// `femtofit`: fits transient absorption microscopy data. Thin commands over the libraries.
@main
struct Femtofit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "femtofit",
        abstract: "Batch Levenberg–Marquardt fitting for transient absorption microscopy.",
        version: FemtofitVersion.current,
        subcommands: [AcquireCommand.self, FitCommand.self, KineticsCommand.self, AnalyzeCommand.self, SimulateCommand.self, DemoCommand.self, DevicesCommand.self, BenchCommand.self, ModelCommand.self, KernelsCommand.self])
}
