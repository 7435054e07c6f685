import ArgumentParser
import Dispatch
import FitCore
import FitEngine
import Foundation
import TAMData

/// `femtofit fit`: fits every frame (or raw ROI) of a file and writes fits.csv and fits.json.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a 2D Gaussian to every frame of a TIFF stack, or to every raw float32 ROI.",
        discussion: """
            INPUT is a multi-page TIFF (8/16/32-bit integer or 32-bit float), raw float32 ROIs \
            stored one after another when --raw-shape is given, or a dataset folder \
            (docs/dataset-format.md): then every series (fluence x wavelength x spot) is fitted on \
            its run-averaged dT/T frames, with the dataset's delays and pixel size. The spot is found in every frame and \
            fitted in a ROI that grows with it (--roi auto), or in a fixed-size ROI centred on it. \
            DIR receives fits.csv and fits.json (see README.md, "Output files").
            """)

    @Argument(help: "Input: a multi-page TIFF, raw float32 ROIs with --raw-shape, or a dataset folder.")
    var input: String
    @Option(name: .shortAndLong, help: "Folder for fits.csv and fits.json (created if missing).")
    var output: String
    @Option(name: .customLong("raw-shape"), help: "Read INPUT as raw float32 ROIs of WxH pixels, each fitted whole.")
    var rawShape: String?
    @Option(help: "Delay file: one delay per line in fs, one per frame.")
    var delays: String?
    @Option(name: .customLong("pixel-size"), help: "Pixel size in the sample plane, nm: lengths are then reported in nm.")
    var pixelSize: Double?
    @Option(help: "ROI: auto (grows with the spot) or WxH centred on the spot.")
    var roi = "auto"
    @OptionGroup var fitting: FitOptions
    @Flag(name: .customLong("no-background"), help: "Dataset: do not subtract the mean frame before time zero.")
    var noBackground = false
    @Flag(name: .customLong("no-weights"), help: "Dataset: fit unweighted instead of weighting by the variance between runs.")
    var noWeights = false
    @Flag(name: .customLong("no-outlier-rejection"), help: "Dataset: average every run's pixel, outliers included.")
    var noOutlierRejection = false
    @Flag(name: .customLong("no-registration"), help: "Dataset: average runs as they are, without lining up their drift.")
    var noRegistration = false
    @Flag(name: .customLong("no-spot-registration"), help: "Dataset: leave each spot's frames where they are instead of lining its pump spot up with spot 0's.")
    var noSpotRegistration = false
    @Flag(name: .customLong("no-bad-pixels"), help: "Dataset: use every pixel, including those dataset.json lists as bad and the hot or dead ones found.")
    var noBadPixels = false
    @Flag(name: .customLong("no-time-zero"), help: "Dataset: keep the delays as acquired instead of moving time zero to the signal's rise.")
    var noTimeZero = false
    @Flag(name: .customLong("keep-sign"), help: "Dataset: fit photo-induced absorption as negative spots instead of flipping it positive.")
    var keepSign = false
    @Option(help: "Dataset: mask pump-on/off pixels at or above this many counts (default: dataset.json's camera.saturation, else none).")
    var saturation: Float?

    var preprocessing: Preprocessing {
        var p = Preprocessing()
        p.subtractBackground = !noBackground
        p.weights = !noWeights
        p.rejectOutliers = !noOutlierRejection
        p.positiveSign = !keepSign
        p.registerRuns = !noRegistration
        p.registerSpots = !noSpotRegistration
        p.maskBadPixels = !noBadPixels
        p.findTimeZero = !noTimeZero
        p.saturationLevel = saturation
        return p
    }

    func validate() throws {
        if let rawShape { _ = try parseSize(rawShape, option: "--raw-shape") }
        if roi != "auto" { _ = try parseSize(roi, option: "--roi") }
        if rawShape != nil && roi != "auto" {
            throw ValidationError("raw ROIs are fitted whole: leave out --roi with --raw-shape")
        }
        if let pixelSize, !(pixelSize.isFinite && pixelSize > 0) {
            throw ValidationError("--pixel-size must be a positive number of nm (got \(pixelSize))")
        }
    }

    func run() throws {
        do {
            try fit()
        } catch let error as TAMDataError {
            warn(error.description)
            throw ExitCode(2)
        } catch let error as FitError {
            warn("\(input): \(error)")
            throw ExitCode(2)
        }
    }

    func fit() throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
            try fitDataset()
            return
        }
        let stack: ImageStack
        let roiChoice: StackFitter.ROIChoice
        if let rawShape {
            let (w, h) = try parseSize(rawShape, option: "--raw-shape")
            stack = try RawStack.read(input, width: w, height: h)
            roiChoice = .wholeFrame
        } else {
            stack = try TIFFStack.read(input)
            if roi == "auto" { roiChoice = .automatic } else {
                let (w, h) = try parseSize(roi, option: "--roi")
                roiChoice = .fixed(width: w, height: h)
            }
        }
        let delayValues = try delays.map { try DelayFile.read($0, expectedCount: stack.frameCount) }
        let engine = try fitting.engine()
        let fitter = StackFitter(model: fitting.modelID, settings: fitting.settings, roi: roiChoice, engine: engine)
        let progress = Progress("fitting \(stack.frameCount) frames")
        let start = DispatchTime.now().uptimeNanoseconds
        let results = try fitter.fit(stack, source: input) { progress.update($0, of: $1) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let metadata = FitOutput.Metadata(
            input: input, model: fitting.modelID.name, estimator: fitting.estimator, backend: engine.backend.name,
            device: engine.backend.deviceDescription, precision: engine.backend.precision.rawValue,
            tolerance: fitting.tolerance, maxIterations: fitting.maxIterations, errors: fitting.errors,
            roi: rawShape != nil ? "whole \(rawShape!) ROIs" : roi, pixelSizeNm: pixelSize,
            fitTimeSeconds: seconds, frames: stack.frameCount)
        let output = FitOutput(model: fitting.modelID, results: results, delays: delayValues, pixelSize: pixelSize, metadata: metadata)
        let paths = try output.write(to: self.output)
        let shapes = try SpotShape.check(stack, variances: nil, results: results, model: fitting.modelID)
            .map { SpotShapeOutput.Row(label: nil, delayFs: delayValues?[$0.frame], check: $0) }
        try writeShape(shapes, pixelSize: pixelSize)
        report(results, seconds: seconds, paths: paths)
    }

    /// shape.csv beside fits.csv, when the model is a 2D Gaussian; a line for the flagged frames.
    func writeShape(_ rows: [SpotShapeOutput.Row], pixelSize: Double?) throws {
        guard !rows.isEmpty else { return }
        try AtomicFile.write(SpotShapeOutput.csv(rows, pixelSize: pixelSize), to: self.output + "/shape.csv")
        let flagged = rows.filter(\.check.flagged)
        if !flagged.isEmpty {
            print("shape check: \(flagged.count) of \(rows.count) frames are not Gaussian by their moments (first: frame \(flagged[0].check.frame)); see shape.csv")
        }
    }

    /// A dataset folder: each series' run-averaged dT/T stack, fitted in turn, into one fits.csv.
    func fitDataset() throws {
        if rawShape != nil { throw TAMDataError(input, "is a dataset folder; --raw-shape is for raw ROI files") }
        if delays != nil { throw TAMDataError(input, "is a dataset folder, which carries its delays; leave out --delays") }
        let dataset = try Dataset.open(input)
        let manifest = dataset.manifest
        let pixelSize = self.pixelSize ?? manifest.pixelSizeNm
        var roiChoice = StackFitter.ROIChoice.automatic
        if roi != "auto" {
            let (w, h) = try parseSize(roi, option: "--roi")
            roiChoice = .fixed(width: w, height: h)
        }
        let engine = try fitting.engine()
        let fitter = StackFitter(model: fitting.modelID, settings: fitting.settings, roi: roiChoice, engine: engine)
        let allSeries = DifferentialStack.series(of: dataset)
        let frames = allSeries.count * manifest.axes.delayFs.count
        let progress = Progress("fitting \(allSeries.count) series x \(manifest.axes.delayFs.count) delays")
        var results: [StackFitter.FrameResult] = [], labels: [FitOutput.SeriesLabel] = [], resultDelays: [Double] = []
        var notes: [String] = []
        var shapes: [SpotShapeOutput.Row] = []
        var spotReferences: [[Int]: ImageStack] = [:]
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw TAMDataError(output, "cannot create the output folder (\(error.localizedDescription))")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        for series in allSeries {
            let name = "fluence \(series.fluence), wavelength \(series.wavelength), spot \(series.spot)"
            let reference = series.spot == 0 ? nil : spotReferences[[series.fluence, series.wavelength]]
            let prepared = try preprocessing.run(dataset, series: series, spotReference: reference)
            if series.spot == 0 { spotReferences[[series.fluence, series.wavelength]] = prepared.summedSignal }
            notes += prepared.notes.map { "\(name): \($0)" }
            // The ΔT/T frames fitted, for a look in Fiji.
            let stackName = "dtt_f\(series.fluence)_w\(series.wavelength)_s\(series.spot).tif"
            try TIFFStack.write(prepared.signal, to: output + "/" + stackName,
                                imageJ: ImageJMetadata(pixelSize: manifest.pixelSizeNm, frameLabels: ImageJMetadata.delayLabels(manifest.axes.delayFs)))
            let absorbed = try manifest.absorbedPerDot(fluence: series.fluence)
            if let note = absorbed.note, !notes.contains(note) { notes.append(note) }
            let label = FitOutput.SeriesLabel(fluence: absorbed.value ?? Double(series.fluence),
                                              wavelengthNm: manifest.axes.wavelengthNm[series.wavelength], spot: series.spot)
            let done = results.count
            let fitted = try fitter.fit(prepared.signal, variances: prepared.variance, source: "\(input) (\(name))") { finished, _ in
                progress.update(done + finished, of: frames)
            }
            results += fitted
            shapes += try SpotShape.check(prepared.signal, variances: prepared.variance, results: fitted, model: fitting.modelID)
                .map { SpotShapeOutput.Row(label: label, delayFs: prepared.delayFs[$0.frame], check: $0) }
            labels += Array(repeating: label, count: fitted.count)
            resultDelays += fitted.map { prepared.delayFs[$0.frame] }
        }
        for note in notes { print(note) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let metadata = FitOutput.Metadata(
            input: input, model: fitting.modelID.name, estimator: fitting.estimator, backend: engine.backend.name,
            device: engine.backend.deviceDescription, precision: engine.backend.precision.rawValue,
            tolerance: fitting.tolerance, maxIterations: fitting.maxIterations, errors: fitting.errors,
            roi: roi, pixelSizeNm: pixelSize, fitTimeSeconds: seconds, frames: frames, preprocessing: notes)
        var output = FitOutput(model: fitting.modelID, results: results, delays: manifest.axes.delayFs, pixelSize: pixelSize,
                               metadata: metadata, series: labels)
        output.resultDelays = resultDelays
        let paths = try output.write(to: self.output)
        try writeShape(shapes, pixelSize: pixelSize)
        report(results, seconds: seconds, paths: paths)
    }

    func report(_ results: [StackFitter.FrameResult], seconds: Double, paths: (csv: String, json: String)) {
        var counts: [FitState: Int] = [:]
        for r in results { counts[r.state, default: 0] += 1 }
        let summary = FitState.allCases.compactMap { s in counts[s].map { "\($0) \(s)" } }.joined(separator: ", ")
        print("fitted \(results.count) \(rawShape == nil ? "frames" : "ROIs") in \(String(format: "%.3f", seconds)) s: \(summary)")
        let masked = results.filter { $0.maskedPixels > 0 }
        if !masked.isEmpty {
            warn("\(input): \(masked.count) frame(s) had NaN or infinite pixels, masked from their fits (first: frame \(masked[0].frame), \(masked[0].maskedPixels) pixels)")
        }
        let invalid = results.filter { $0.state == .invalidInput }
        for r in invalid.prefix(5) {
            warn("\(input): frame \(r.frame): invalid input: \(r.problem ?? "unusable data")")
        }
        if invalid.count > 5 { warn("\(input): ...and \(invalid.count - 5) more invalid frames (each with its reason under `problem` in fits.json)") }
        print("results: \(paths.csv)\n         \(paths.json)")
    }
}
