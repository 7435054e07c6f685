import FitCore
import Foundation
import TAMData
import Transport

/// From a dataset folder (preprocessed and fitted first, as `femtofit fit` would) or a fits.csv /
/// fits.h5 to the transport physics: analysis.json, the CSVs, the plots, the kinetics maps of a
/// dataset and report.html. The workflow `femtofit analyze` and `femtofit demo` run, as a library
/// call that any Swift front end above Pipeline can make; the commands only parse options and
/// print. (The C library stays engine-only, docs/c-api.md.)
public struct DatasetAnalysis {
    /// A dataset folder, a fits.csv or a fits.h5.
    public var input: String
    /// Folder for every output (created if missing).
    public var output: String
    /// nm per pixel, for a fits table whose widths are in pixels (a dataset carries its own).
    public var pixelSize: Double?
    public var settings = TransportAnalysis.Settings()
    /// Exponentials per pixel in a dataset's kinetics maps.
    public var mapComponents = ComponentChoice.fixed(1)
    /// Known MSD curves drawn beside the data (the demo's simulated truth).
    public var references: [(label: String, delays: [Double], msd: [Double])] = []
    /// The engine that fits a dataset's frames (`auto`: an OpenCL GPU if there is one).
    public var engine: FitEngine
    /// The engine of the kinetics maps (the CPU: many short curves).
    public var mapEngine: FitEngine

    public init(input: String, output: String, engine: FitEngine, mapEngine: FitEngine) {
        self.input = input
        self.output = output
        self.engine = engine
        self.mapEngine = mapEngine
    }

    /// What a run found, for the caller to print: the analysed series, their disorder, the notes
    /// (also in analysis.json) and the files written.
    public struct Outcome {
        public var blocks: [AnalysisDocument.Block]
        public var disorder: [DisorderFromScan.Result]
        public var notes: [String]
        public var paths: [String]
    }

    /// Runs the analysis. `note` gets each fact worth printing along the way (the dataset fit's
    /// notes, maps that hold one time zero), `stage` a line as a slow stage starts (reading a
    /// large table, writing the report), `progress(stage, done, total)` the progress within the
    /// fitting ("fitting"), analysis ("analysing N series") and map ("kinetics maps") stages.
    public func run(note: (String) -> Void = { _ in }, stage: (String) -> Void = { _ in },
                    progress: @escaping (String, Int, Int) -> Void = { _, _, _ in }) throws -> Outcome {
        // Settings are checked before a dataset's fit, which can take minutes.
        guard settings.temperature > 0, settings.temperature.isFinite else {
            throw TransportError.badSetting("temperature \(settings.temperature) K: give a positive temperature in kelvin")
        }
        if let pitch = settings.dotPitch, !(pitch > 0 && pitch.isFinite) {
            throw TransportError.badSetting("dot pitch \(pitch) nm: give a positive pitch in nm")
        }
        if let pixelSize, let problem = PixelSizeRange.problem(pixelSize, source: "pixel size") { throw TransportError.badSetting(problem) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
            throw TransportError.badInput("\(input): no such file or folder; give a dataset folder or a fits.csv")
        }
        var fitsPath = input, pixelSize = self.pixelSize
        var spotPositions: [Int: (x: Double, y: Double)] = [:], kineticsMaps: [(String, SVGHeatMap)] = []
        if isFolder.boolValue {
            note("fitting the dataset first (gauss2d-pixelated, weighted by the run scatter)")
            let source = try DatasetSource(input, preprocessing: Preprocessing(), roi: .automatic)
            let run = FitRun(fitter: StackFitter(model: .gauss2DPixelated, engine: engine),
                             pixelSize: self.pixelSize ?? source.manifest.pixelSizeNm, roiDescription: "auto")
            let summary = try run.run(source, into: output, hasDelays: true, isGrid: source.isGrid) { progress("fitting", $0, $1) }
            for line in summary.notes { note(line) }
            fitsPath = output + "/fits.csv"
            pixelSize = nil
            let dataset = try Dataset.open(input)
            for (i, spot) in dataset.manifest.axes.spot.enumerated() { spotPositions[i] = (spot.xUm, spot.yUm) }
            // Each series' maps on its own delays: the acquired ones moved by its time zero (not the
            // effective delays the widths get: the kinetics model holds the response itself).
            var shifts: [String: Double] = [:]
            for (series, record) in zip(DifferentialStack.series(of: dataset), summary.series) {
                shifts["f\(series.fluence)_w\(series.wavelength)_s\(series.spot)"] = record.delayShiftFs
            }
            kineticsMaps = try writeKineticsMaps(delays: dataset.manifest.axes.delayFs, shifts: shifts,
                                                 pixelSize: self.pixelSize ?? dataset.manifest.pixelSizeNm, note: note, progress: progress)
        }
        // Something is said from the start: reading a fits.csv of 10^6 rows takes seconds.
        stage("reading \(fitsPath)")
        let table = fitsPath.hasSuffix(".h5") ? try FitsH5Reader.table(fitsPath, pixelSize: pixelSize)
            : try FitsTable(path: fitsPath, pixelSize: pixelSize)
        let analysing = "analysing \(table.series.count) series"
        var outcome = try TransportAnalyzer.analyse(table, settings: settings) { progress(analysing, $0, $1) }
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
        let document = AnalysisDocument(femtofitVersion: FemtofitVersion.current, input: input, settings: settings,
                                        pixelSizeNm: self.pixelSize, blocks: blocks, disorder: outcome.disorder, notes: outcome.notes)
        stage("writing the report into \(output)/")
        var report = AnalysisReport(document: document, references: references)
        report.spotPositions = spotPositions
        report.extraMaps = kineticsMaps
        let paths = try report.write(to: output)
        return Outcome(blocks: blocks, disorder: outcome.disorder, notes: outcome.notes, paths: paths)
    }

    /// Per-pixel kinetics maps of every dT/T stack the dataset fit wrote (dtt_*.tif):
    /// kinetics_*.tif (each component's amplitude and lifetime, t0, the offset and their errors,
    /// `KineticsMap`) and a heat map of the largest component's lifetime for the report.
    /// `shifts`: what each series' time zero adds to the acquired delays, by the stacks' stem
    /// (`f<F>_w<W>_s<S>`); a series without one keeps the acquired delays.
    func writeKineticsMaps(delays: [Double], shifts: [String: Double], pixelSize: Double,
                           note: (String) -> Void, progress: @escaping (String, Int, Int) -> Void) throws -> [(String, SVGHeatMap)] {
        let stacks = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? [])
            .filter { $0.hasPrefix("dtt_") && $0.hasSuffix(".tif") }.sorted()
        var maps: [(String, SVGHeatMap)] = []
        for (i, name) in stacks.enumerated() {
            let stem = String(name.dropFirst(4).dropLast(4))
            let stack = try TIFFStack.read(output + "/" + name)
            let shift = shifts[stem] ?? 0
            let map = try KineticsMap(stack, delays: delays.map { $0 + shift }, components: mapComponents, engine: mapEngine,
                                      source: output + "/" + name)
            try map.write(to: output + "/kinetics_\(stem).tif", pixelSize: pixelSize)
            if !map.timeZeroPerPixel {
                note("kinetics map \(stem): the delay frames do not resolve the signal's rise, so every pixel holds the series' time zero (t0 pages NaN)")
            }
            maps.append(("map_lifetime_\(stem).svg", KineticsMapPlot.lifetime(map, title: stem)))
            progress("kinetics maps", i + 1, stacks.count)
        }
        return maps
    }
}
