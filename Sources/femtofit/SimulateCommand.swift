import ArgumentParser
import FitCore
import Foundation
import Simulation
import TextInput
import Pipeline
import TAMData

/// `femtofit simulate`: writes a synthetic TAM stack, its delays and its ground truth.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a simulated TAM stack (stack.tif), its delays (delays.txt) and its ground truth (truth.csv).")

    @Option(name: .shortAndLong, help: "Folder to write into (created if missing).")
    var output: String
    @Option(help: "Noise: poisson, gaussian (sigma = sqrt(background)) or emccd.")
    var noise = "poisson"
    @Option(help: "Frame size, WxH pixels.")
    var size = "96x96"
    @Option(name: .customLong("pixel-size"), help: "nm per pixel in the sample plane.")
    var pixelSize = 55.6
    @Option(help: "Peak counts of the spot at time zero. Its integral is conserved, so by 600 ps the peak is about 1/900 of this.")
    var amplitude = 50_000.0
    @Option(name: .customLong("irf-fwhm"), help: "FWHM of the instrument response, fs (0: an instant rise).")
    var irfFWHM = 0.0
    @Option(name: .customLong("time-zero"), help: "The acquired delay at which the pump arrives, fs.")
    var timeZero = 0.0
    @Option(help: "Random seed (the same seed gives the same stack).")
    var seed: UInt64 = 1
    @Flag(help: "Write a dataset folder (dataset.json, pump-on and pump-off stacks, truth.csv; docs/dataset-format.md) instead of one stack.")
    var dataset = false
    @Option(help: "With --dataset: pump fluences as <N_abs>, comma-separated.")
    var fluences = "0.1"
    @Option(help: "With --dataset: runs over the whole scan.")
    var runs = 1
    @Flag(name: .customLong("transient-absorption"), help: "Write a broadband transient-absorption matrix instead (traces.csv: 800 wavelengths x 409 delays, chirp, a 120 fs FWHM response, coherent artefact, three lifetimes and a long-lived component, SNR 100) and its truth (ta-truth.json).")
    var transientAbsorption = false
    @Option(help: "With --transient-absorption: the number of probe wavelengths (420-750 nm).")
    var wavelengths = 800

    func fluenceValues() throws -> [Double] {
        let values = fluences.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite && $0! > 0 }) else {
            throw ValidationError("--fluences takes positive numbers (<N_abs>) separated by commas, e.g. 0.1,0.3 (got '\(fluences)')")
        }
        return values.map { $0! }
    }

    func validate() throws {
        _ = try parseSize(size, option: "--size")
        _ = try noiseModel()
        guard pixelSize.isFinite, pixelSize > 0 else { throw ValidationError("--pixel-size must be a positive number of nm") }
        _ = try fluenceValues()
        guard runs > 0 else { throw ValidationError("--runs must be at least 1") }
        guard (1...100_000).contains(wavelengths) else { throw ValidationError("--wavelengths must be from 1 to 100000, not \(wavelengths)") }
        guard irfFWHM.isFinite, irfFWHM >= 0, irfFWHM <= 10_000 else { throw ValidationError("--irf-fwhm must be from 0 to 10000 fs, not \(irfFWHM)") }
        guard timeZero.isFinite, abs(timeZero) <= 10_000 else { throw ValidationError("--time-zero must be within ±10000 fs, not \(timeZero)") }
        guard amplitude.isFinite, amplitude > 0, amplitude <= 1e9 else { throw ValidationError("--amplitude must be a positive number of counts up to 1e9, not \(amplitude)") }
    }

    func noiseModel() throws -> NoiseModel {
        switch noise {
        case "poisson": return .poisson
        case "emccd": return .emccd
        case "gaussian": return .gaussian(sigma: 10)
        default: throw ValidationError("unknown noise '\(noise)'; choose poisson, gaussian or emccd")
        }
    }

    func run() throws {
        if transientAbsorption {
            try reportingErrors(output) {
                let written = try Self.writeTransientAbsorption(seed: seed, wavelengths: wavelengths, to: output)
                print("simulated a transient-absorption matrix: \(wavelengths) wavelengths x 409 delays (-3 to 48 ps), chirp, coherent artefact, SNR 100")
                print("wrote \(written.matrix)\n      \(written.truth)")
            }
            return
        }
        var simulator = TAMSimulator()
        (simulator.width, simulator.height) = try parseSize(size, option: "--size")
        simulator.pixelSize = pixelSize
        simulator.noise = try noiseModel()
        simulator.seed = seed
        simulator.amplitude = amplitude
        simulator.irfFWHM = irfFWHM
        simulator.timeZero = timeZero
        do {
            if dataset {
                let (manifest, _) = try SimulatedDataset.write(simulator, fluences: try fluenceValues(), runs: runs, to: output)
                print("simulated a dataset: \(manifest.axes.delayFs.count) delays x \(manifest.axes.fluence.count) fluences x \(runs) runs, pump-on and pump-off frames of \(size) pixels")
                print("wrote \(output)/dataset.json, its stacks and truth.csv")
                return
            }
            let written = try SimulateCommand.write(simulator, to: output)
            print("simulated \(simulator.delays.count) frames of \(size) pixels (\(pixelSize) nm each), \(noise) noise")
            print("wrote \(written.stack)\n      \(written.delays)\n      \(written.truth)")
        } catch {
            try reportingErrors { throw error }
        }
    }

    /// Writes `TransientAbsorptionSimulation(seed:)` as traces.csv (a `TraceMatrix`) and its truth
    /// as ta-truth.json (lifetimes, response sigma and chirp coefficients, fs; the chirp in
    /// x = (wavenumber - reference) / 1000 cm^-1).
    static func writeTransientAbsorption(seed: UInt64, wavelengths: Int, to folder: String) throws -> (matrix: String, truth: String) {
        do { try SystemError.createFolder(folder) } catch {
            throw OutputError(folder, "cannot create the output folder: \(error)")
        }
        let simulation = TransientAbsorptionSimulation(seed: seed, wavelengthCount: wavelengths)
        let paths = (folder + "/traces.csv", folder + "/ta-truth.json")
        try TraceMatrix(delays: simulation.delays, wavelengths: simulation.wavelengths, values: simulation.traces).write(to: paths.0)
        let t = simulation.truth
        let truth: [String: Any] = [
            "format": "femtofit-ta-truth/1", "seed": Int(seed), "lifetimes_fs": t.lifetimes, "long_lived": true,
            "irf_sigma_fs": t.irfSigma, "chirp_coefficients_fs": t.chirp, "chirp_reference_wavenumber_cm": t.referenceWavenumber,
            "chirp_variable": "(wavenumber_cm - reference) / 1000", "noise_sigma": simulation.noiseSigma,
        ]
        let data = try JSONSerialization.data(withJSONObject: truth, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: paths.1)
        return paths
    }

    /// Runs `simulator` and writes its three files into `folder`.
    static func write(_ simulator: TAMSimulator, to folder: String) throws -> (stack: String, delays: String, truth: String, truthRows: [TAMSimulator.Truth]) {
        do { try SystemError.createFolder(folder) } catch {
            throw OutputError(folder, "cannot create the output folder: \(error)")
        }
        let (stack, truth) = try simulator.run()
        let paths = (folder + "/stack.tif", folder + "/delays.txt", folder + "/truth.csv")
        let description = "{\"femtofit_version\":\"\(FemtofitVersion.current)\",\"simulated\":true,\"pixel_size_nm\":\(simulator.pixelSize),\"seed\":\(simulator.seed)}"
        try TIFFStack.write(stack, to: paths.0, description: description,
                            imageJ: ImageJMetadata(pixelSize: simulator.pixelSize, frameLabels: ImageJMetadata.delayLabels(simulator.delays)))
        try DelayFile.write(simulator.delays, to: paths.1)
        try TAMSimulator.writeTruth(truth, to: paths.2)
        return (paths.0, paths.1, paths.2, truth)
    }
}
