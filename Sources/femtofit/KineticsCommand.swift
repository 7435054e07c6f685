import ArgumentParser
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData
import Transport

/// `femtofit kinetics`: per-trace kinetics fits of a matrix of traces (one per probe wavelength)
/// or of every pixel of a TIFF stack, with the component count chosen per trace (`KineticsTraces`).
struct KineticsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kinetics",
        abstract: "Fit the kinetics of every trace: each wavelength of a transient-absorption matrix, or each pixel of a TIFF stack.",
        discussion: """
            INPUT is a CSV matrix of traces (the common TA export: first row the delays in fs after \
            one label cell, then one row per wavelength: the wavelength in nm, then its values), or a \
            multi-page TIFF with --delays (one trace per pixel). Each trace is fitted with 1 to 4 \
            exponentials convolved with a Gaussian instrument response, plus an offset (and the \
            coherent artefact with --coherent-artifact); with --components auto every count is \
            fitted and the one with the lowest BIC among the honest fits is kept. DIR receives \
            kinetics.csv and kinetics.h5 (one row per trace, NaN in the columns of components a trace \
            lacks), t0.svg (each trace's time zero: the chirp) and lifetimes.svg (see README.md, \
            "Kinetics").
            """)

    @Argument(help: "Input: a CSV trace matrix, or a multi-page TIFF with --delays.")
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

    func validate() throws {
        guard ComponentChoice(argument: components) != nil else {
            throw ValidationError("--components takes auto or a count from 1 to \(ModelID.maximumExponentials), not '\(components)'")
        }
        guard BackendChoice(rawValue: backend) != nil, backend != "reference" else {
            throw ValidationError("unknown backend '\(backend)'; choose auto, opencl or cpu")
        }
        guard FitPrecision(rawValue: precision) != nil else { throw ValidationError("unknown precision '\(precision)'; choose single or double") }
        guard chirpDegree == 2 || chirpDegree == 3 else { throw ValidationError("--chirp-degree takes 2 or 3, not \(chirpDegree)") }
    }

    func run() throws {
        try reportingErrors(input) { try fitTraces() }
    }

    /// The traces of INPUT: a CSV matrix, or a TIFF stack's pixels with --delays.
    func readTraces() throws -> TraceMatrix {
        let lower = input.lowercased()
        if lower.hasSuffix(".tif") || lower.hasSuffix(".tiff") {
            guard let delays else { throw ValidationError("a TIFF stack needs --delays: one delay per frame, in fs") }
            let stack = try TIFFStack.read(input)
            let axis = try DelayFile.read(delays, expectedCount: stack.frameCount)
            let pixels = stack.width * stack.height, frames = stack.frameCount
            var values = [Float](repeating: .nan, count: pixels * frames)
            for f in 0..<frames {
                let frame = stack.frame(f)
                for p in 0..<pixels { values[p * frames + f] = frame[frame.startIndex + p] }
            }
            guard zip(axis, axis.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw TAMDataError(delays, "the delays must rise strictly from frame to frame")
            }
            return TraceMatrix(delays: axis, wavelengths: (0..<pixels).map(Double.init), values: values)
        }
        if delays != nil { throw ValidationError("--delays is for a TIFF stack; a CSV matrix holds its delays in its first row") }
        return try TraceMatrix.read(input)
    }

    func fitTraces() throws {
        let matrix = try readTraces()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let engine = try FitEngine(choice: BackendChoice(rawValue: backend)!, precision: FitPrecision(rawValue: precision)!)
        let fitter = KineticsTraces(components: ComponentChoice(argument: components)!, coherentArtifact: coherentArtifact)
        let progress = Progress("kinetics (component counts)")
        progress.update(0, of: fitter.components.counts.count)
        let starts = KineticsTraces.timeZeroStarts(delays: matrix.delays, traces: matrix.values)
        let fits = try fitter.fit(delays: matrix.delays, traces: matrix.values, engine: engine, timeZeros: starts) { progress.update($0, of: $1) }
        try KineticsTable.write(fits, labels: matrix.wavelengths, to: output + "/kinetics.csv")
        try KineticsTable.writeHDF5(fits, labels: matrix.wavelengths, delays: matrix.delays, to: output + "/kinetics.h5")
        try KineticsPlots.write(fits, labels: matrix.wavelengths, pixels: input.lowercased().contains(".tif"), to: output)
        let honest = fits.filter(\.isHonest).count
        var counts = [Int](repeating: 0, count: ModelID.maximumExponentials + 1)
        for fit in fits where fit.isHonest { counts[fit.components] += 1 }
        print("fitted \(fits.count) traces x \(matrix.delays.count) delays: \(honest) honest (converged, finite errors, on no bound), \(fits.count - honest) flagged")
        print("components kept (honest traces): " + (1...ModelID.maximumExponentials).map { "\($0): \(counts[$0])" }.joined(separator: ", ")
              + (fits.contains(where: \.longLived) ? "; \(fits.filter(\.longLived).count) with a long-lived component" : ""))
        print("wrote \(output)/kinetics.csv, kinetics.h5, t0.svg, lifetimes.svg")
        if global { try fitGlobally(matrix, starts: starts) }
    }

    /// The global fit, its component count chosen by BIC under `--components auto`.
    func fitGlobally(_ matrix: TraceMatrix, starts: [(t0: Double, irf: Double)]) throws {
        let pixels = input.lowercased().contains(".tif")
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
