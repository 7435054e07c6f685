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
    /// Series summarised on standard output, at most.
    static let printedSeries = 20

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

    /// Fits (a dataset folder) and analyses; `references` are known MSD curves drawn beside the
    /// data (the demo's simulated truth).
    func analyse(references: [(label: String, delays: [Double], msd: [Double])] = []) throws {
        let settings = TransportAnalysis.Settings(temperature: temperature, dotPitch: dotPitch)
        // Settings are checked before any fitting starts.
        if let problem = settingProblem { throw ValidationError(problem) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
            throw TransportError.badInput("\(input): no such file or folder; give a dataset folder or a fits.csv")
        }
        var fitsPath = input, pixelSize = self.pixelSize
        var spotPositions: [Int: (x: Double, y: Double)] = [:], kineticsMaps: [(String, SVGHeatMap)] = []
        if isFolder.boolValue {
            print("fitting the dataset first (gauss2d-pixelated, weighted by the run scatter)")
            let source = try DatasetSource(input, preprocessing: Preprocessing(), roi: .automatic)
            let run = FitRun(fitter: StackFitter(model: .gauss2DPixelated, engine: try FitEngine(choice: .auto)),
                             pixelSize: self.pixelSize ?? source.manifest.pixelSizeNm, roiDescription: "auto")
            let progress = Progress("fitting", unit: "frames")
            let summary = try run.run(source, into: output, hasDelays: true, isGrid: source.isGrid) { progress.update($0, of: $1) }
            for note in summary.notes { print(note) }
            fitsPath = output + "/fits.csv"
            pixelSize = nil
            let manifest = try Dataset.open(input).manifest
            for (i, spot) in manifest.axes.spot.enumerated() { spotPositions[i] = (spot.xUm, spot.yUm) }
            // Each series' maps on its own delays: the acquired ones moved by its time zero (not the
            // effective delays the widths get: the kinetics model holds the response itself).
            var shifts: [String: Double] = [:]
            for (series, record) in zip(DifferentialStack.series(of: try Dataset.open(input)), summary.series) {
                shifts["f\(series.fluence)_w\(series.wavelength)_s\(series.spot)"] = record.delayShiftFs
            }
            kineticsMaps = try writeKineticsMaps(delays: manifest.axes.delayFs, shifts: shifts, pixelSize: self.pixelSize ?? manifest.pixelSizeNm)
        }
        // Something is said from the start: reading a fits.csv of 10^6 rows takes seconds.
        Progress.say("reading \(fitsPath)")
        let table = fitsPath.hasSuffix(".h5") ? try FitsH5Reader.table(fitsPath, pixelSize: pixelSize)
            : try FitsTable(path: fitsPath, pixelSize: pixelSize)
        let progress = Progress("analysing \(table.series.count) series", unit: "series")
        var outcome = try TransportAnalyzer.analyse(table, settings: settings) { progress.update($0, of: $1) }
        // The shape check's flags: fits.h5's shape group, or shape.csv beside fits.csv.
        let shapePath = ((fitsPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("shape.csv")
        let shapeFlags = fitsPath.hasSuffix(".h5") ? try FitsH5Reader.shapeFlags(fitsPath)
            : FileManager.default.fileExists(atPath: shapePath) ? try ShapeFlags.read(shapePath) : nil
        for (key, entry) in (shapeFlags ?? [:]).sorted(by: { $0.key < $1.key }) where !entry.flagged.isEmpty {
            let delays = entry.flagged.prefix(8).map { "\($0)" }.joined(separator: ", ") + (entry.flagged.count > 8 ? ", ..." : "")
            outcome.notes.append("\(key.label): \(entry.flagged.count) of \(entry.total) frames are not Gaussian by their moments (\(fitsPath.hasSuffix(".h5") ? "fits.h5 shape group" : "shape.csv"); delays \(delays) fs): their fitted widths are not a Gaussian's sigma")
        }
        var blocks = outcome.blocks
        SeriesTimes.attach(to: &blocks, fitsPath: fitsPath)
        for note in outcome.notes { print(note) }
        let document = AnalysisDocument(femtofitVersion: FemtofitVersion.current, input: input, settings: settings,
                                        pixelSizeNm: self.pixelSize, blocks: blocks, disorder: outcome.disorder, notes: outcome.notes)
        Progress.say("writing the report into \(output)/")
        var report = AnalysisReport(document: document, references: references)
        report.spotPositions = spotPositions
        report.extraMaps = kineticsMaps
        let paths = try report.write(to: output)
        // A line per series, up to a screenful: 10^4 of them would bury the rest of the output.
        for b in blocks.prefix(Self.printedSeries) {
            let a = b.analysis
            var line = "\(b.key.label): sigma_0 \(format(a.sigma0Nm)) nm"
            if let dMax = a.dMax, let length = a.bandLike.lengthNm, let persistence = a.bandLike.persistenceFs {
                line += ", D_max \(format(dMax)) cm^2/s, band-like \(format(persistence, digits: 0)) fs over \(format(length)) nm"
            } else {
                line += ", no band-like regime (\(a.bandLike.reason ?? ""))"
            }
            if !a.regimes.isEmpty {
                line += "; regimes: " + a.regimes.map { "\($0.kind.rawValue) (alpha \($0.alpha.printed(digits: 2)))" }.joined(separator: ", ")
            }
            print(line)
        }
        if blocks.count > Self.printedSeries {
            print("... and \(blocks.count - Self.printedSeries) more series: every series is in analysis.csv and analysis.json")
        }
        for r in outcome.disorder {
            print("\(r.key.label): energetic disorder sigma_inh \(format(r.disorder.sigmaInhMeV)) meV (red shift \(format(r.disorder.shiftMeV)) meV, tau \(format(r.disorder.tauFs, digits: 0)) fs)")
        }
        print("results in \(output)/: " + paths.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))
    }

    /// Per-pixel kinetics maps of every dT/T stack `fit` wrote (dtt_*.tif): kinetics_*.tif (each
    /// component's amplitude and lifetime, t0, the offset and their errors, `KineticsMap`) and a
    /// heat map of the largest component's lifetime for the report.
    /// `shifts`: what each series' time zero adds to the acquired delays, by the stacks' stem
    /// (`f<F>_w<W>_s<S>`); a series without one keeps the acquired delays.
    func writeKineticsMaps(delays: [Double], shifts: [String: Double], pixelSize: Double) throws -> [(String, SVGHeatMap)] {
        let stacks = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? [])
            .filter { $0.hasPrefix("dtt_") && $0.hasSuffix(".tif") }.sorted()
        let engine = try FitEngine(choice: .cpu)
        let components = ComponentChoice(argument: mapComponents)!
        var maps: [(String, SVGHeatMap)] = []
        let progress = Progress("kinetics maps")
        for (i, name) in stacks.enumerated() {
            let stem = String(name.dropFirst(4).dropLast(4))
            let stack = try TIFFStack.read(output + "/" + name)
            let shift = shifts[stem] ?? 0
            let map = try KineticsMap(stack, delays: delays.map { $0 + shift }, components: components, engine: engine, source: output + "/" + name)
            try map.write(to: output + "/kinetics_\(stem).tif", pixelSize: pixelSize)
            if !map.timeZeroPerPixel {
                print("kinetics map \(stem): the delay frames do not resolve the signal's rise, so every pixel holds the series' time zero (t0 pages NaN)")
            }
            maps.append(("map_lifetime_\(stem).svg", KineticsMapPlot.lifetime(map, title: stem)))
            progress.update(i + 1, of: stacks.count)
        }
        return maps
    }

    /// "value ± error", or the value alone where there is no error (a bound, not a measurement).
    /// `Estimate.printed`, except a value without an error: the persistence of a band-like regime
    /// that lasts to the last frame is a lower bound, and said to be.
    func format(_ e: Estimate, digits: Int = 1) -> String {
        guard e.value.isFinite, !e.stderr.isFinite else { return e.printed(digits: digits) }
        return "at least " + String(format: "%.\(digits)f", e.value)
    }
}
