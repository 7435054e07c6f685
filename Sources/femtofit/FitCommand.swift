import ArgumentParser
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData

/// `femtofit fit`: fits every frame (or raw ROI) of an input through the streaming pipeline
/// (`FitRun`) and writes fits.h5, fits.csv, shape.csv and fits.json.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a 2D Gaussian to every frame of a TIFF stack, HDF5 dataset or dataset folder, or to every raw ROI.",
        discussion: """
            INPUT is a multi-page TIFF or BigTIFF (8/16/32-bit integer or 32-bit float); raw float32 ROIs \
            stored one after another when --raw-shape is given; an HDF5 dataset named FILE.h5:/path \
            (3-D frames x height x width, or 2-D ROIs x points with --raw-shape; integer or float); or \
            a dataset folder (docs/dataset-format.md): then every series (fluence x wavelength x spot) \
            is fitted on its run-averaged dT/T frames, with the dataset's delays and pixel size. The \
            spot is found in every frame and fitted in a ROI that grows with it (--roi auto), or in a \
            fixed-size ROI centred on it. The input is read a block at a time, so memory stays \
            bounded whatever its size. DIR receives fits.h5, fits.csv and shape.csv (unless --csv off) \
            and fits.json, which is written last and names the run's files; a run that fails leaves \
            none of them (see README.md, "Output files").
            """)

    @Argument(help: "Input: a multi-page TIFF, raw float32 ROIs with --raw-shape, FILE.h5:/dataset, or a dataset folder.")
    var input: String
    @Option(name: .shortAndLong, help: "Folder for the outputs (created if missing).")
    var output: String
    @Option(name: .customLong("raw-shape"), help: "Read INPUT as raw float32 ROIs (or a 2-D HDF5 dataset of ROIs) of WxH pixels, each fitted whole.")
    var rawShape: String?
    @Option(help: "Delay file: one delay per line in fs, one per frame.")
    var delays: String?
    @Option(name: .customLong("pixel-size"), help: "Pixel size in the sample plane, nm: lengths are then reported in nm.")
    var pixelSize: Double?
    @Option(help: "ROI: auto (grows with the spot) or WxH centred on the spot.")
    var roi = "auto"
    @Option(help: "fits.csv and shape.csv: on, or off for huge batches (fits.h5 holds every number, the shape check in its shape group).")
    var csv = "on"
    @Flag(name: .customLong("no-shape-check"), help: "Skip the per-frame Gaussian-ness check (shape.csv and fits.h5's shape group).")
    var noShapeCheck = false
    @Option(name: .customLong("start-values"), help: "Raw ROIs: start values, raw float64, one row of the model's parameters per ROI (ROI pixel coordinates).")
    var startValues: String?
    @Option(name: .customLong("spline-coefficients"),
            help: "spline2d/spline3d: the template, FILE.h5:/dataset or a .toml file naming raw float32 coefficients and their sizes (docs/spline-models.md).")
    var splineCoefficients: String?
    @Option(help: "Compress fits.h5 with deflate at this level (1-9); uncompressed by default, which is fastest.")
    var deflate: Int?
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
        if let pixelSize, let problem = PixelSizeRange.problem(pixelSize, source: "--pixel-size") { throw ValidationError(problem) }
        if let saturation, !(saturation.isFinite && saturation > 0) {
            throw ValidationError("--saturation must be a positive number of counts, not \(saturation)")
        }
        guard csv == "on" || csv == "off" else { throw ValidationError("--csv takes on or off (got '\(csv)')") }
        if let deflate, !(1...9).contains(deflate) { throw ValidationError("--deflate takes a level from 1 to 9 (got \(deflate))") }
        let isSpline = fitting.model.flatMap { ModelID(name: $0) }.map { $0 == .spline2D || $0 == .spline3D } ?? false
        if isSpline && (splineCoefficients == nil || rawShape == nil || startValues == nil) {
            throw ValidationError("--model \(fitting.modelName) fits a spline template to raw ROIs from given start values: give --spline-coefficients, --raw-shape and --start-values")
        }
        if !isSpline && splineCoefficients != nil {
            throw ValidationError("--spline-coefficients is for --model spline2d or spline3d (the model is \(fitting.modelName))")
        }
        if startValues != nil && rawShape == nil { throw ValidationError("--start-values is for raw ROIs (--raw-shape): frames are cut around their spots, which moves their start") }
    }

    func run() throws {
        try reportingErrors(input) { try fit() }
    }

    /// The ROI choice for frames (raw ROIs are fitted whole).
    func roiChoice() throws -> StackFitter.ROIChoice {
        if rawShape != nil { return .wholeFrame }
        guard roi != "auto" else { return .automatic }
        let (w, h) = try parseSize(roi, option: "--roi")
        return .fixed(width: w, height: h)
    }

    /// The source INPUT names.
    func source() throws -> (source: FrameSource, hasDelays: Bool, isGrid: Bool, pixelSize: Double?) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
            if rawShape != nil {
                let isDataset = FileManager.default.fileExists(atPath: input + "/" + Dataset.manifestName)
                throw TAMDataError(input, (isDataset ? "is a dataset folder" : "is a folder") + "; --raw-shape takes a raw ROI file (float32 values, e.g. rois.f32), not a folder")
            }
            if delays != nil { throw TAMDataError(input, "is a dataset folder, which carries its delays; leave out --delays") }
            let dataset = try DatasetSource(input, preprocessing: preprocessing, roi: try roiChoice())
            return (dataset, true, dataset.isGrid, pixelSize ?? dataset.manifest.pixelSizeNm)
        }
        let shape = try rawShape.map { try parseSize($0, option: "--raw-shape") }
        let source: FrameSource
        if let name = HDF5DatasetName(input) {
            source = try HDF5FrameSource(name, rawShape: shape.map { (width: $0.0, height: $0.1) }, roi: try roiChoice())
        } else if let shape {
            source = try RawROISource(input, width: shape.0, height: shape.1)
        } else {
            source = try TIFFPageSource(input, roi: try roiChoice())
        }
        guard let delays else { return (source, false, false, pixelSize) }
        let values = try DelayFile.read(delays, expectedCount: source.frameCount)
        return (DelayLabelledSource(source, delays: values), true, false, pixelSize)
    }

    func fit() throws {
        MemoryReuse.keepFreedMemory()
        let (source, hasDelays, isGrid, pixelSize) = try self.source()
        let model = try fitting.resolveModel()
        var fitter = StackFitter(model: model, settings: fitting.settings, roi: try roiChoice(), engine: try fitting.engine())
        if let startValues {
            fitter.startValues = try StartValueFile(startValues, parameters: model.parameterCount, fits: source.frameCount).reader
        }
        if let splineCoefficients { fitter.spline = try SplineCoefficientFile.read(splineCoefficients) }
        var run = FitRun(fitter: fitter, pixelSize: pixelSize,
                         roiDescription: rawShape.map { "whole \($0) ROIs" } ?? roi)
        run.writeCSV = csv == "on"
        run.shapeCheck = !noShapeCheck
        run.deflate = deflate
        let unit = rawShape == nil ? "frames" : "ROIs"
        let progress = Progress("fitting", unit: unit)
        let summary = try run.run(source, into: output, hasDelays: hasDelays, isGrid: isGrid) { progress.update($0, of: $1) }
        report(summary, unit: unit)
    }

    func report(_ summary: FitRun.Summary, unit: String) {
        for note in summary.notes { print(note) }
        let counts = FitState.allCases.compactMap { s in summary.states[s].map { "\($0) \(s)" } }.joined(separator: ", ")
        print("fitted \(summary.fits) \(unit) in \(String(format: "%.3f", summary.fitSeconds)) s (\(String(format: "%.3f", summary.wallSeconds)) s with reading and writing): \(counts)")
        if let first = summary.firstMasked {
            warn("\(input): \(summary.maskedFits) frame(s) had NaN or infinite pixels, masked from their fits (first: frame \(first.index), \(first.pixels) pixels)")
        }
        for r in summary.invalid.prefix(5) {
            warn("\(input): frame \(r.index)\(r.series.map { " (fluence \($0.fluence), \($0.wavelengthNm) nm, spot \($0.spot))" } ?? ""): invalid input: \(r.problem)")
        }
        if summary.invalidCount > 5 {
            warn("\(input): ...and \(summary.invalidCount - 5) more invalid \(unit) (the first \(FitRun.invalidListed) with their reasons under `invalid` in fits.json; every one's code in fits.h5's `problem`)")
        }
        if let first = summary.firstFlagged {
            print("shape check: \(summary.shapeFlagged) of \(summary.shapeChecked) frames are not Gaussian by their moments (first: frame \(first)); see shape.csv")
        }
        print("results in \(output)/: " + summary.files.map(\.name).joined(separator: ", "))
    }
}
