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
            INPUT is a multi-page TIFF (8/16/32-bit integer or 32-bit float), or raw float32 ROIs \
            stored one after another when --raw-shape is given. The spot is found in every frame and \
            fitted in a ROI that grows with it (--roi auto), or in a fixed-size ROI centred on it. \
            DIR receives fits.csv and fits.json (see README.md, "Output files").
            """)

    @Argument(help: "Input file: a multi-page TIFF, or raw float32 ROIs with --raw-shape.")
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
