import ArgumentParser
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData
import Transport

/// `femtofit kinetics`: per-trace kinetics fits of a matrix of traces (one per probe wavelength),
/// of every pixel of a TIFF stack or of each series of a dataset, with the component count chosen
/// per trace (`KineticsTraces`, the path `femtofit analyze`'s maps take too).
struct KineticsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kinetics",
        abstract: "Fit the kinetics of every trace: each wavelength of a transient-absorption matrix, or each pixel of a TIFF stack or dataset.",
        discussion: """
            INPUT is a trace matrix: CSV (the common TA export: first row the delays in fs after one \
            label cell, then one row per wavelength: the wavelength in nm, then its values) or HDF5 \
            (FILE.h5:/dataset, wavelengths x delays, with 1-D delay_fs and wavelength_nm beside it); \
            or a multi-page TIFF with --delays (one trace per pixel); or a dataset folder (each \
            series' dT/T stack, one trace per pixel). Each trace is fitted with 1 to 4 exponentials \
            convolved with a Gaussian instrument response, plus an offset (and the coherent artefact \
            with --coherent-artifact); with --components auto every count is fitted and the one \
            with the lowest BIC among the honest fits is kept. Traces are fitted a block at a time, \
            so memory does not grow with their number. DIR receives kinetics.csv and kinetics.h5 \
            (one row per trace, NaN in the columns of components a trace lacks) and t0.svg and \
            lifetimes.svg for a matrix; kinetics_map.tif and map_lifetime.svg for a stack (one set \
            per series for a dataset). See README.md, "Kinetics".
            """)

    @Argument(help: "Input: a CSV or HDF5 trace matrix, a multi-page TIFF with --delays, or a dataset folder.")
    var input: String
    @Option(name: .shortAndLong, help: "Folder for the outputs (created if missing).")
    var output: String
    @Option(help: "Delay file for a TIFF stack: one delay per line in fs, one per frame.")
    var delays: String?
    @Option(help: "Exponentials per trace: auto (chosen per trace by BIC) or 1 to 4.")
    var components = "auto"
    @Flag(name: .customLong("coherent-artifact"), help: "Add the coherent artefact near time zero: the response Gaussian and its first and second derivatives.")
    var coherentArtifact = false
    @Flag(help: "Also fit all traces together: shared lifetimes, response width and time zero (a polynomial in wavenumber: the chirp; one time zero for pixel maps), amplitudes per trace.")
    var global = false
    @Option(name: .customLong("chirp-degree"), help: "With --global: the chirp polynomial's degree in wavenumber, 2 or 3.")
    var chirpDegree = 2
    @Option(help: "Backend: auto (an OpenCL GPU if there is one, else the CPU), opencl or cpu.")
    var backend = "cpu"
    @Option(help: "Precision: single or double.")
    var precision = "double"
    @Option(name: .customLong("pixel-size"), help: "Pixel size in nm for the map TIFF of a TIFF stack (a dataset's comes from its manifest).")
    var pixelSize: Double?
    @Option(name: .customLong("model-file"), help: "Fit every trace with a model defined at run time instead (a model file with coordinates [\"t\"]; docs/models.md): kinetics_model.csv.")
    var modelFile: String?

    func validate() throws {
        if modelFile != nil && (global || coherentArtifact || components != "auto") {
            throw ValidationError("--model-file fits the model file's own model: leave out --components, --coherent-artifact and --global")
        }
        guard ComponentChoice(argument: components) != nil else {
            throw ValidationError("--components takes auto or a count from 1 to \(ModelID.maximumExponentials), not '\(components)'")
        }
        guard BackendChoice(rawValue: backend) != nil, backend != "reference" else {
            throw ValidationError("unknown backend '\(backend)'; choose auto, opencl or cpu")
        }
        guard FitPrecision(rawValue: precision) != nil else { throw ValidationError("unknown precision '\(precision)'; choose single or double") }
        guard chirpDegree == 2 || chirpDegree == 3 else { throw ValidationError("--chirp-degree takes 2 or 3, not \(chirpDegree)") }
        if let pixelSize, let problem = PixelSizeRange.problem(pixelSize, source: "--pixel-size") { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingErrors(input) { try fitTraces() }
    }

    func fitTraces() throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let engine = try FitEngine(choice: BackendChoice(rawValue: backend)!, precision: FitPrecision(rawValue: precision)!)
        if let modelFile { return try fitWithModel(modelFile, engine: engine) }
        let lower = input.lowercased()
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
            return try fitDataset(engine: engine)
        }
        if lower.hasSuffix(".tif") || lower.hasSuffix(".tiff") { return try fitStack(engine: engine) }
        if delays != nil { throw ValidationError("--delays is for a TIFF stack; a trace matrix holds its delays (its first row, or delay_fs in HDF5)") }
        let isHDF5 = HDF5DatasetName(input) != nil || [".h5", ".hdf5", ".he5"].contains { lower.hasSuffix($0) }
        let source: TraceSource = isHDF5 ? try HDF5TraceMatrix(input) : try CSVTraceMatrix(input)
        try fitMatrix(source, engine: engine)
    }

    /// Every trace of a matrix or a TIFF stack with a runtime curve model (`KineticsModelFit`).
    func fitWithModel(_ modelFile: String, engine: FitEngine) throws {
        let model = try ModelFile.register(modelFile)
        guard model.descriptor.geometry == .curve else {
            throw ModelFileError(file: modelFile, error: .init("model \(model.descriptor.name) fits 2D ROIs (coordinates [\"x\", \"y\"]); a trace needs coordinates = [\"t\"] (fit frames with `femtofit fit --model-file`)"))
        }
        let lower = input.lowercased()
        var isFolder: ObjCBool = false
        let source: TraceSource, labelName: String
        if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("--model-file takes a trace matrix or a TIFF stack with --delays; for a dataset, give one series' dtt_*.tif (written by `femtofit fit`) with --delays")
        } else if lower.hasSuffix(".tif") || lower.hasSuffix(".tiff") {
            guard let delays else { throw ValidationError("a TIFF stack needs --delays: one delay per frame, in fs") }
            let stack = try TIFFStack.read(input)
            source = StackTraces(stack: stack, delays: try DelayFile.read(delays, expectedCount: stack.frameCount))
            labelName = "pixel"
        } else {
            if delays != nil { throw ValidationError("--delays is for a TIFF stack; a trace matrix holds its delays (its first row, or delay_fs in HDF5)") }
            let isHDF5 = HDF5DatasetName(input) != nil || [".h5", ".hdf5", ".he5"].contains { lower.hasSuffix($0) }
            source = isHDF5 ? try HDF5TraceMatrix(input) : try CSVTraceMatrix(input)
            labelName = "wavelength_nm"
        }
        let fit = KineticsModelFit(model: model, settings: FitSettings(maxIterations: 200), engine: engine)
        let progress = Progress("kinetics", unit: "traces")
        let summary = try fit.run(source, labelName: labelName, into: output + "/kinetics_model.csv") { progress.update($0, of: $1) }
        let counts = FitState.allCases.compactMap { s in summary.states[s].map { "\($0) \(s)" } }.joined(separator: ", ")
        print("fitted \(summary.traces) traces with \(model.descriptor.name): \(counts)")
        print("wrote \(output)/kinetics_model.csv")
    }

    /// A matrix of traces (CSV or HDF5), fitted a block at a time: kinetics.csv, kinetics.h5,
    /// t0.svg and lifetimes.svg, then the global fit with --global.
    func fitMatrix(_ source: TraceSource, engine: FitEngine) throws {
        let fitter = KineticsTraces(components: ComponentChoice(argument: components)!, coherentArtifact: coherentArtifact)
        let writer = try KineticsTableWriter(folder: output, delays: source.delays)
        var plots = KineticsPlots(traceCount: source.traceCount, pixels: false)
        var tally = KineticsTally()
        // The global fit starts its chirp from every trace's time zero: two numbers a trace, kept.
        var starts: [(t0: Double, irf: Double)] = []
        let progress = Progress("kinetics", unit: "traces")
        try fitter.fit(delays: source.delays, traceCount: source.traceCount, engine: engine, read: { try source.read($0) },
                       timeZeros: { _, traces in
                           let block = KineticsTraces.timeZeroStarts(delays: source.delays, traces: traces)
                           if global { starts += block }
                           return block
                       }, deliver: { range, fits in
                           let labels = try source.labels(range)
                           try writer.append(fits, labels: labels)
                           plots.add(fits, labels: labels, first: range.lowerBound)
                           tally.add(fits)
                       }, progress: { progress.update($0, of: $1) })
        try writer.commit()
        try plots.write(to: output)
        tally.print(delays: source.delays.count)
        print("wrote \(output)/kinetics.csv, kinetics.h5, t0.svg, lifetimes.svg")
        if global {
            let all = 0..<source.traceCount
            let matrix = TraceMatrix(delays: source.delays, wavelengths: try source.labels(all), values: try source.read(all))
            try fitGlobally(matrix, starts: starts, pixels: false)
        }
    }

    /// A TIFF stack with --delays: one trace per pixel, fitted as `femtofit analyze`'s maps are
    /// (`KineticsMap`: the response held at the frame-summed trace's): kinetics.csv and .h5 (one
    /// row per pixel), kinetics_map.tif and map_lifetime.svg; with --global, one fit of all pixels.
    func fitStack(engine: FitEngine) throws {
        guard let delays else { throw ValidationError("a TIFF stack needs --delays: one delay per frame, in fs") }
        let stack = try TIFFStack.read(input)
        let axis = try DelayFile.read(delays, expectedCount: stack.frameCount)
        guard zip(axis, axis.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TAMDataError(delays, "the delays must rise strictly from frame to frame")
        }
        let map = try fitMap(stack, delays: axis, stem: "kinetics", source: input, pixelSize: pixelSize ?? 1, engine: engine)
        if global {
            let pixels = stack.width * stack.height
            let values = stack.traces(pixels: 0..<pixels)
            let matrix = TraceMatrix(delays: axis, wavelengths: (0..<pixels).map(Double.init), values: values)
            let start = (t0: map.seriesTimeZeroFs, irf: map.instrumentResponseFs)
            try fitGlobally(matrix, starts: Array(repeating: start, count: pixels), pixels: true)
        }
    }

    /// A dataset folder: each series' dT/T stack (preprocessed as `femtofit fit` does: runs
    /// registered and averaged, background, the delays moved by the series' time zero) mapped:
    /// kinetics_<series>.csv, .h5, .tif and map_lifetime_<series>.svg.
    func fitDataset(engine: FitEngine) throws {
        if global { throw ValidationError("--global takes a trace matrix or a TIFF stack; for a dataset, give one series' dtt_*.tif (written by `femtofit fit`) with --delays") }
        let dataset = try Dataset.open(input)
        let manifest = dataset.manifest
        let preprocessing = Preprocessing()
        var references: [[Int]: ImageStack] = [:]
        for s in DifferentialStack.series(of: dataset) {
            let reference = s.spot == 0 ? nil : references[[s.fluence, s.wavelength]]
            let prepared = try preprocessing.run(dataset, series: s, spotReference: reference)
            if s.spot == 0 { references[[s.fluence, s.wavelength]] = prepared.summedSignal }
            let label = SeriesLabel(fluence: Double(s.fluence), wavelengthNm: manifest.axes.wavelengthNm[s.wavelength], spot: s.spot)
            let record = SeriesRecord(label: label, prepared: prepared)
            let stem = "f\(s.fluence)_w\(s.wavelength)_s\(s.spot)"
            print("series \(stem) (fluence \(s.fluence), \(label.wavelengthNm) nm, spot \(s.spot)): delays moved by \(Int(record.delayShiftFs.rounded())) fs")
            _ = try fitMap(prepared.signal, delays: manifest.axes.delayFs.map { $0 + record.delayShiftFs }, stem: "kinetics_" + stem,
                           source: input + " (series \(stem))", pixelSize: pixelSize ?? manifest.pixelSizeNm, engine: engine)
        }
    }

    /// One stack's per-pixel fits: `<stem>.csv`, `<stem>.h5`, `<stem>.tif` (the map's pages) and
    /// the lifetime heat map, `map_lifetime` + the stem's series part + `.svg`.
    func fitMap(_ stack: ImageStack, delays: [Double], stem: String, source: String, pixelSize: Double, engine: FitEngine) throws -> KineticsMap {
        let writer = try KineticsTableWriter(folder: output, stem: stem, delays: delays)
        var tally = KineticsTally()
        let progress = Progress("kinetics map", unit: "pixels")
        let map = try KineticsMap(stack, delays: delays, components: ComponentChoice(argument: components)!, coherentArtifact: coherentArtifact,
                                  engine: engine, source: source, deliver: { range, fits in
                                      try writer.append(fits, labels: range.map(Double.init))
                                      tally.add(fits)
                                  }, progress: { progress.update($0, of: $1) })
        try writer.commit()
        let tiff = stem == "kinetics" ? "kinetics_map.tif" : stem + ".tif"
        try map.write(to: output + "/" + tiff, pixelSize: pixelSize)
        let series = stem == "kinetics" ? "" : "_" + stem.dropFirst("kinetics_".count)
        try AtomicFile.write(KineticsMapPlot.lifetime(map, title: source).render(), to: output + "/map_lifetime\(series).svg")
        tally.print(delays: delays.count)
        print("response sigma held at \(Int(map.instrumentResponseFs.rounded())) fs (the frame-summed trace's); "
              + (map.timeZeroPerPixel ? "time zero fitted per pixel" : "time zero held at the series' \(Int(map.seriesTimeZeroFs.rounded())) fs: the frames do not resolve the rise")
              + "; \(map.maskedPixels) of \(stack.width * stack.height) pixels masked (not honest, or no significant amplitude)")
        print("wrote \(output)/\(stem).csv, \(stem).h5, \(tiff), map_lifetime\(series).svg")
        return map
    }

    /// The global fit, its component count chosen by BIC under `--components auto`.
    func fitGlobally(_ matrix: TraceMatrix, starts: [(t0: Double, irf: Double)], pixels: Bool) throws {
        let choice = ComponentChoice(argument: components)!
        var best: (result: GlobalKinetics.Result, bic: Double)?
        var points = 0
        for v in matrix.values where v.isFinite { points += 1 }
        let progress = Progress("global fit (component counts)")
        for (k, n) in choice.counts.enumerated() {
            let fitter = GlobalKinetics(delays: matrix.delays, wavelengths: pixels ? nil : matrix.wavelengths, traces: matrix.values,
                                        options: .init(components: n, coherentArtifact: coherentArtifact, chirpDegree: chirpDegree))
            let result = try fitter.fit(timeZeroStarts: starts)
            let parameters = points - result.degreesOfFreedom
            let bic = Double(points) * log(result.chiSquare / Double(points)) + Double(parameters) * log(Double(points))
            if bic < (best?.bic ?? .infinity) { best = (result, bic) }
            progress.update(k + 1, of: choice.counts.count)
        }
        guard let result = best?.result else { return }
        try GlobalKineticsOutput.write(result, labels: matrix.wavelengths, delays: matrix.delays, pixels: pixels,
                                       coherentArtifact: coherentArtifact, input: input, to: output)
        func show(_ e: Estimate) -> String { String(format: "%.4g ± %.2g", e.value, e.stderr) }
        print("global fit: lifetimes " + result.lifetimes.map { show($0) + " fs" }.joined(separator: ", ")
              + (result.longLived ? " and a long-lived component" : "") + "; response sigma " + show(result.irfSigma) + " fs"
              + (result.converged ? "" : " (NOT converged)"))
        for note in result.notes { print("  note: \(note)") }
        print("wrote \(output)/global.json, das.csv, chirp.csv, residuals.csv, das.svg, chirp.svg, residuals.svg")
    }
}

/// The counts a kinetics run prints at the end, gathered block by block.
struct KineticsTally {
    var total = 0, honest = 0, longLived = 0
    var counts = [Int](repeating: 0, count: ModelID.maximumExponentials + 1)

    mutating func add(_ fits: [KineticsTraceFit]) {
        total += fits.count
        for fit in fits where fit.isHonest {
            honest += 1
            counts[fit.components] += 1
            if fit.longLived { longLived += 1 }
        }
    }

    func print(delays: Int) {
        Swift.print("fitted \(total) traces x \(delays) delays: \(honest) honest (converged, finite errors, on no bound), \(total - honest) flagged")
        Swift.print("components kept (honest traces): " + (1...ModelID.maximumExponentials).map { "\($0): \(counts[$0])" }.joined(separator: ", ")
                    + (longLived > 0 ? "; \(longLived) with a long-lived component" : ""))
    }
}
