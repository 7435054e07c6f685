import FitCore
import Foundation
import TAMData

/// A simulated acquisition written as a dataset folder (docs/dataset-format.md): for each
/// fluence, probe wavelength and run, pump-on frames from `TAMSimulator` (the spot on its
/// background) and pump-off frames of the background alone, each with its own noise. The spot's
/// amplitude scales with <N_abs> (relative to the first fluence); each wavelength has its own time
/// zero (the chirp: `Probe.timeZeroFs` is added to the simulator's); run r's spot sits
/// r x `runDriftPx` from run 0's (the sample drifting between runs). Three delays before time
/// zero are added when the simulator has none. The demo and the tests use it until the simulated
/// instrument writes datasets through the acquisition layer.
public enum SimulatedDataset {
    /// A probe wavelength and the extra delay its pump-probe overlap comes at, fs.
    public struct Probe: Sendable, Equatable {
        public var wavelengthNm: Double
        public var timeZeroFs: Double
        public init(wavelengthNm: Double, timeZeroFs: Double = 0) { self.wavelengthNm = wavelengthNm; self.timeZeroFs = timeZeroFs }
    }

    /// Writes the dataset into `folder`; returns its manifest and the simulator's truth for the
    /// first fluence, wavelength and run (delays as in the dataset).
    @discardableResult
    public static func write(_ simulator: TAMSimulator, fluences: [Double] = [0.1], runs: Int = 1,
                             probes: [Probe] = [Probe(wavelengthNm: 0)], runDriftPx: (x: Double, y: Double) = (0, 0),
                             to folder: String) throws -> (manifest: DatasetManifest, truth: [TAMSimulator.Truth]) {
        guard !fluences.isEmpty, fluences.allSatisfy({ $0.isFinite && $0 > 0 }), runs > 0, !probes.isEmpty else {
            throw TAMDataError(folder, "a simulated dataset needs positive fluences (<N_abs>), at least one probe wavelength and at least one run")
        }
        guard probes.allSatisfy({ $0.timeZeroFs.isFinite && $0.wavelengthNm.isFinite }), runDriftPx.x.isFinite, runDriftPx.y.isFinite else {
            throw TAMDataError(folder, "a simulated dataset needs finite wavelengths, time zeros and drift")
        }
        var simulator = simulator
        if !simulator.delays.contains(where: { $0 < 0 }) { simulator.delays = [-300, -200, -100] + simulator.delays }
        var stacks: [String: ImageStack] = [:], frames: [FrameEntry] = []
        var truth: [TAMSimulator.Truth] = []
        let baseAmplitude = simulator.amplitude, baseSeed = simulator.seed, centre = simulator.resolvedCentre
        for (w, probe) in probes.enumerated() {
            for (f, fluence) in fluences.enumerated() {
                for run in 0..<runs {
                    var on = simulator, off = simulator
                    on.amplitude = baseAmplitude * fluence / fluences[0]
                    on.timeZero = simulator.timeZero + probe.timeZeroFs
                    on.centre = (centre.x + Double(run) * runDriftPx.x, centre.y + Double(run) * runDriftPx.y)
                    on.seed = baseSeed &+ UInt64(2 * ((w * fluences.count + f) * runs + run))
                    off.amplitude = 0
                    off.seed = on.seed &+ 1
                    let (onStack, onTruth) = try on.run()
                    if w == 0 && f == 0 && run == 0 { truth = onTruth }
                    // The first wavelength keeps the names datasets had before wavelengths were simulated.
                    let prefix = w == 0 ? "f\(f)_run\(run)" : "w\(w)_f\(f)_run\(run)"
                    let names = (prefix + "_on.tif", prefix + "_off.tif")
                    stacks[names.0] = onStack
                    stacks[names.1] = try off.run().stack
                    for delay in simulator.delays.indices {
                        frames.append(FrameEntry(delay: delay, fluence: f, wavelength: w, run: run, kind: .pumpOn, file: names.0, page: delay))
                        frames.append(FrameEntry(delay: delay, fluence: f, wavelength: w, run: run, kind: .pumpOff, file: names.1, page: delay))
                    }
                }
            }
        }
        let manifest = DatasetManifest(
            pixelSizeNm: simulator.pixelSize, frameWidth: simulator.width, frameHeight: simulator.height,
            axes: ScanAxes(delayFs: simulator.delays, fluence: fluences.map { ScanAxes.Fluence(nAbs: $0) },
                           wavelengthNm: probes.map(\.wavelengthNm), runs: runs),
            instrument: ["camera.model": InstrumentSetting("simulated"), "simulation.seed": InstrumentSetting(Double(baseSeed)),
                         "simulation.amplitude": InstrumentSetting(baseAmplitude, unit: "counts"),
                         "simulation.background": InstrumentSetting(simulator.background, unit: "counts")],
            frames: frames)
        try Dataset.write(manifest, stacks: stacks, to: folder)
        try TAMSimulator.writeTruth(truth, to: folder + "/truth.csv")
        return (manifest, truth)
    }
}
