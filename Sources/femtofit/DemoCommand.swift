import Acquisition
import ArgumentParser
import Dispatch
import FitCore
import FitEngine
import Foundation
import Pipeline
import TAMData
import Transport

/// `femtofit demo`: a small paper-like experiment on the simulated TAM microscope, end to end —
/// acquire a pure-CQD film at three fluences and one probe wavelength (through the same sequencer
/// and dataset writer as `femtofit acquire`), fit every frame, analyse the transport (regimes,
/// D_max, the fluence series) and write the report, with the simulated truth drawn beside it.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Acquire a simulated three-fluence TAM experiment, fit every frame, and report MSD and D(t).")

    @Option(name: .shortAndLong, help: "Folder for everything the demo writes (created if missing; an earlier demo there is replaced).")
    var output = "femtofit-demo"
    @Option(help: "Random seed of the simulated microscope.")
    var seed: UInt64 = 1

    /// The demo's plan, written to OUTPUT/plan.toml so `femtofit acquire` can run it again.
    static let plan = """
    # The femtofit demo: a pure CQD film at three pump pulse energies (<N_abs> 0.09, 0.12, 0.15; at 0.045
    # the band-like regime is often undetermined at this number of pulses).
    name = "demo: pure CQD film, three fluences"
    runs = 2
    pairs = 100
    fluences_nj = [6, 8, 10]
    wavelengths_nm = [800]

    [delays]
    pre_time_zero_fs = [-1000, -500, -200]

    [[delays.segments]]
    linear = { start = 0, stop = 400, step = 20 }

    [[delays.segments]]
    log = { start = 500, stop = 150000, count = 18 }
    """

    func run() throws {
        try reportingErrors("demo") { try demo() }
    }

    func demo() throws {
        let started = DispatchTime.now().uptimeNanoseconds
        func seconds() -> String { String(format: "%.1f s", Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9) }
        let datasetFolder = output + "/dataset", marker = output + "/.femtofit-demo"
        // A demo folder is the demo's own (it carries a marker): an earlier demo's dataset is
        // replaced; a folder that holds anything else is refused, so no real data is ever deleted.
        if FileManager.default.fileExists(atPath: datasetFolder) {
            guard FileManager.default.fileExists(atPath: marker) else {
                throw AcquisitionError(datasetFolder, "exists and was not written by femtofit demo; choose another --output")
            }
            try FileManager.default.removeItem(atPath: datasetFolder)
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try AtomicFile.write("written by femtofit demo; the demo may replace this folder's dataset/\n", to: marker)
        let planPath = output + "/plan.toml"
        try AtomicFile.write(Self.plan + "\n", to: planPath)
        let plan = try ScanPlan.load(planPath)
        let instrument = Instrument.simulated(sensor: 48, seed: seed)
        let sample = instrument.simulated!.camera.sample
        print("1/4 acquiring on the simulated TAM microscope (virtual clock, EMCCD noise, chopper-triggered 48x48 frames): "
              + "\(plan.points.count) points = \(plan.delays.count) delays x \(plan.pulseEnergiesNJ.count) fluences x \(plan.runs) runs, \(plan.pairs) pump-on/off pairs each")
        let sequencer = Sequencer(plan: plan, instrument: instrument, folder: datasetFolder, planFile: planPath)
        sequencer.liveFitter = LiveFitter(pixelSizeNm: instrument.framePixelSizeNm, engine: FitEngine())
        let view = LiveView(plan: plan)
        sequencer.onProgress = { view.show($0) }
        guard case .finished(let dataset) = try sequencer.run() else {
            throw AcquisitionError(datasetFolder, "the simulated acquisition stopped early; see acquisition.log")
        }
        print("    \(dataset.manifest.frames.count) frames in \(datasetFolder) (\(seconds()))")

        print("2/4 fitting every frame, 3/4 transport analysis (gauss2d-pixelated; MSD = sigma_t^2 - sigma_0^2, D = MSD/2t; regimes by BIC)")
        var analysis = DatasetAnalysis(input: datasetFolder, output: output, engine: try FitEngine(choice: .auto),
                                       mapEngine: try FitEngine(choice: .cpu))
        let truths = plan.pulseEnergiesNJ.map { energy -> (label: String, delays: [Double], msd: [Double]) in
            let nAbs = sample.nAbs(pulseEnergyNJ: energy)
            let truth = sample.truth(pulseEnergyNJ: energy)
            let delays = plan.delays.filter { $0 > 0 }
            return (String(format: "simulated truth, N_abs %.3g", nAbs), delays, delays.map { truth.msd(at: $0) })
        }
        print("4/4 report")
        analysis.references = truths
        AnalysisPrinting.summarise(try AnalysisPrinting.run(analysis), output: output)
        print("    truth per fluence:")
        for energy in plan.pulseEnergiesNJ {
            let nAbs = sample.nAbs(pulseEnergyNJ: energy), truth = sample.truth(pulseEnergyNJ: energy)
            print(String(format: "    N_abs %.3g: sigma_0 %.0f nm, D_max %.1f cm^2/s, band-like for %.0f fs over %.1f nm, hopping alpha %.2f",
                         nAbs, truth.sigma0, truth.bandDiffusivity, truth.bandEnd, truth.bandLikeLength, truth.hoppingExponent))
        }
        print("done in \(seconds()); open \(output)/report.html (plots: msd.svg, diffusivity.svg, length.svg; numbers: analysis.json)")
    }
}
