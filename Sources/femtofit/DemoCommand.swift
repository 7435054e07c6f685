import ArgumentParser
import Dispatch
import FitCore
import Foundation
import TAMData
import Transport

/// `femtofit demo`: a whole experiment on the simulated instrument — simulate a TAM stack, fit
/// every frame, analyse the transport (regimes, D_max) and report it as analysis.json, CSV, SVG plots and HTML.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Simulate a TAM experiment, fit every frame, and report MSD and D(t).")

    @Option(name: .shortAndLong, help: "Folder for everything the demo writes (created if missing).")
    var output = "femtofit-demo"
    @Option(help: "Random seed of the simulated experiment.")
    var seed: UInt64 = 1
    @OptionGroup var fitting: FitOptions

    func run() throws {
        do { try demo() } catch let error as TAMDataError {
            warn(error.description)
            throw ExitCode(2)
        } catch let error as TransportError {
            warn("analysis: \(error)")
            throw ExitCode(2)
        }
    }

    func demo() throws {
        var simulator = TAMSimulator()
        simulator.seed = seed
        let pixelSize = simulator.pixelSize
        print("1/4 simulating a TAM experiment: \(simulator.delays.count) delays from 0 to \(Int(simulator.delays.last! / 1000)) ps, "
              + "\(simulator.width)x\(simulator.height) frames, \(pixelSize) nm pixels, Poisson noise")
        let written = try SimulateCommand.write(simulator, to: output)

        print("2/4 fitting every frame (\(fitting.modelID.name), \(fitting.estimator), ROI grows with the spot)")
        let stack = try TIFFStack.read(written.stack)
        let delays = try DelayFile.read(written.delays, expectedCount: stack.frameCount)
        let engine = try fitting.engine()
        let fitter = StackFitter(model: fitting.modelID, settings: fitting.settings, roi: .automatic, engine: engine)
        let progress = Progress("    fitting")
        let start = DispatchTime.now().uptimeNanoseconds
        let results = try fitter.fit(stack, source: written.stack) { progress.update($0, of: $1) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let metadata = FitOutput.Metadata(
            input: written.stack, model: fitting.modelID.name, estimator: fitting.estimator, backend: engine.backend.name,
            device: engine.backend.deviceDescription, precision: engine.backend.precision.rawValue, tolerance: fitting.tolerance,
            maxIterations: fitting.maxIterations, errors: fitting.errors, roi: "auto", pixelSizeNm: pixelSize, fitTimeSeconds: seconds, frames: stack.frameCount)
        let fitOutput = FitOutput(model: fitting.modelID, results: results, delays: delays, pixelSize: pixelSize, metadata: metadata)
        let fitPaths = try fitOutput.write(to: output)
        let converged = results.filter { $0.state == .converged }.count
        print("    \(converged)/\(results.count) frames converged in \(String(format: "%.3f", seconds)) s on \(engine.backend.deviceDescription)")

        print("3/4 transport analysis: MSD(t) = sigma_t^2 - sigma_0^2, D(t) = MSD / 2t")
        guard let sigmaIndex = fitting.modelID.parameterNames.firstIndex(of: "sigma") ?? fitting.modelID.parameterNames.firstIndex(of: "sigma_x") else {
            throw TAMDataError(output, "model \(fitting.modelID.name) has no width parameter")
        }
        let analysis = try TransportAnalysis(delays: delays,
                                       sigmas: results.map { $0.parameters[sigmaIndex] * pixelSize },
                                       errors: results.map { $0.standardErrors[sigmaIndex] * pixelSize },
                                       valid: results.map { $0.state == .converged })
        let truthByDelay = Dictionary(written.truthRows.map { ($0.delayFs, $0) }, uniquingKeysWith: { a, _ in a })
        printTable(analysis, truth: truthByDelay)

        print("4/4 report: analysis.json, CSVs, plots, report.html")
        let paths = try writeReport(analysis, truth: written.truthRows)
        let truth = simulator.transport
        print(String(format: "    sigma_0 = %.1f ± %.1f nm (truth %.1f nm)", analysis.sigma0Nm.value, analysis.sigma0Nm.stderr, truth.sigma0))
        if let dMax = analysis.dMax, let length = analysis.bandLike.lengthNm, let persistence = analysis.bandLike.persistenceFs {
            print(String(format: "    D_max = %.1f ± %.1f cm^2/s (truth %.1f); band-like for %.0f ± %.0f fs (truth %.0f) over %.1f ± %.1f nm (truth %.1f)",
                         dMax.value, dMax.stderr, truth.bandDiffusivity, persistence.value, persistence.stderr, truth.bandEnd,
                         length.value, length.stderr, truth.bandLikeLength))
        } else {
            print("    " + (analysis.bandLike.reason ?? "no band-like regime"))
        }
        for r in analysis.regimes {
            print(String(format: "    %@ from %.0f to %.0f fs: alpha %.2f ± %.2f, D %.2f ± %.2f cm^2/s", r.kind.rawValue, r.startFs.value, r.endFs.value,
                         r.alpha.value, r.alpha.stderr, r.diffusivity.value, r.diffusivity.stderr))
        }
        print("results in \(output)/:")
        for path in [written.stack, written.delays, written.truth, fitPaths.csv, fitPaths.json] + paths { print("    \(path)") }
    }

    func printTable(_ analysis: TransportAnalysis, truth: [Double: TAMSimulator.Truth]) {
        print("    delay_fs   sigma_nm    ±    truth_nm     MSD_nm2       ±  truth_MSD   D_cm2/s      ±")
        for p in analysis.points {
            let t = truth[p.delayFs]
            print(String(format: "    %8.0f %10.1f %5.1f %10.1f %11.0f %7.0f %10.0f %9.1f %6.1f", p.delayFs, p.sigmaNm, p.sigmaErrorNm,
                         t?.sigmaNm ?? .nan, p.msdNm2.value, p.msdNm2.stderr, t?.msdNm2 ?? .nan, p.diffusivity.value, p.diffusivity.stderr))
        }
    }

    /// analysis.json, the CSVs, plots (the simulated truth drawn beside the fits) and report.html.
    func writeReport(_ analysis: TransportAnalysis, truth: [TAMSimulator.Truth]) throws -> [String] {
        let document = AnalysisDocument(femtofitVersion: FemtofitVersion.current, input: output + "/stack.tif", settings: analysis.settings,
                                        pixelSizeNm: nil, blocks: [.init(key: .init(), analysis: analysis)], notes: [])
        let report = AnalysisReport(document: document, reference: ("simulated truth", truth.map(\.delayFs), truth.map(\.msdNm2)))
        return try report.write(to: output)
    }
}
