import ArgumentParser
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData
import Transport

/// `femtofit analyze`: from a dataset folder (fitted first, as `femtofit fit` would) or a fits.csv
/// to the transport physics: analysis.json, CSVs, SVG plots and an HTML report.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Transport analysis (MSD, D(t), regimes, D_max, mobility) of a dataset folder or a fits.csv.",
        discussion: """
        INPUT is a dataset folder (each series is preprocessed and fitted with gauss2d-pixelated first; \
        the fits go into DIR too), or the fits.csv or fits.h5 that `femtofit fit` writes (fits.h5 for a \
        run with --csv off). Widths in pixels need --pixel-size. See README "femtofit analyze" for \
        analysis.json's schema.
        """)

    @Argument(help: "A dataset folder, a fits.csv or a fits.h5.")
    var input: String
    @Option(name: .shortAndLong, help: "Folder for analysis.json, the CSVs, plots and report.html (created if missing).")
    var output: String
    @Option(name: .customLong("pixel-size"), help: "Pixel size in nm, for a fits.csv whose widths are in pixels.")
    var pixelSize: Double?
    @Option(help: "Temperature in kelvin, for the mobility.")
    var temperature = 300.0
    @Option(name: .customLong("dot-pitch"), help: "Dot pitch in nm, for the number of dots crossed.")
    var dotPitch: Double?
    @Option(name: .customLong("map-components"), help: "Exponentials per pixel in the kinetics maps of a dataset: 1 to 4, or auto (chosen per pixel by BIC).")
    var mapComponents = "1"

    /// The numeric options and their ranges (a usage mistake: exit 64).
    func validate() throws {
        if let problem = settingProblem { throw ValidationError(problem) }
    }

    /// The first option outside its range, in words.
    var settingProblem: String? {
        if !(temperature > 0 && temperature <= 10_000) { return "--temperature must be from 0 to 10000 K, not \(temperature)" }
        if let dotPitch, !(dotPitch > 0 && dotPitch <= 1e6) { return "--dot-pitch must be from 0 to 1000000 nm, not \(dotPitch)" }
        if let pixelSize { return PixelSizeRange.problem(pixelSize, source: "--pixel-size") }
        if ComponentChoice(argument: mapComponents) == nil {
            return "--map-components takes auto or a count from 1 to \(ModelID.maximumExponentials), not '\(mapComponents)'"
        }
        return nil
    }

    func run() throws {
        try reportingErrors("analyze") { try analyse() }
    }

    /// The library's analysis with these options (`DatasetAnalysis`); `references` are known MSD
    /// curves drawn beside the data (the demo's simulated truth).
    func analysis(references: [(label: String, delays: [Double], msd: [Double])] = []) throws -> DatasetAnalysis {
        var analysis = DatasetAnalysis(input: input, output: output, engine: try FitEngine(choice: .auto),
                                       mapEngine: try FitEngine(choice: .cpu))
        analysis.pixelSize = pixelSize
        analysis.settings = TransportAnalysis.Settings(temperature: temperature, dotPitch: dotPitch)
        analysis.mapComponents = ComponentChoice(argument: mapComponents)!
        analysis.references = references
        return analysis
    }

    /// Fits (a dataset folder) and analyses, printing the notes, a line per series and the files.
    func analyse() throws {
        // Settings are checked before any fitting starts.
        if let problem = settingProblem { throw ValidationError(problem) }
        AnalysisPrinting.summarise(try AnalysisPrinting.run(try analysis()), output: output)
    }
}
