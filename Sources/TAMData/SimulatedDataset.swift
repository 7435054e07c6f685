/// A simulated acquisition written as a dataset folder (docs/dataset-format.md): for each
/// fluence and run, pump-on frames from `TAMSimulator` (the spot on its background) and pump-off
/// frames of the background alone, each with its own noise. The spot's amplitude scales with
/// <N_abs> (relative to the first fluence); three delays before time zero are added when the
/// simulator has none. The demo and the tests use it until the simulated instrument writes
/// datasets through the acquisition layer.
public enum SimulatedDataset {
    /// Writes the dataset into `folder`; returns its manifest and the simulator's truth (delays
    /// as in the dataset).
    @discardableResult
    public static func write(_ simulator: TAMSimulator, fluences: [Double] = [0.1], runs: Int = 1,
                             to folder: String) throws -> (manifest: DatasetManifest, truth: [TAMSimulator.Truth]) {
        guard !fluences.isEmpty, fluences.allSatisfy({ $0.isFinite && $0 > 0 }), runs > 0 else {
            throw TAMDataError(folder, "a simulated dataset needs positive fluences (<N_abs>) and at least one run")
        }
        var simulator = simulator
        if !simulator.delays.contains(where: { $0 < 0 }) { simulator.delays = [-300, -200, -100] + simulator.delays }
        var stacks: [String: ImageStack] = [:], frames: [FrameEntry] = []
        var truth: [TAMSimulator.Truth] = []
        let baseAmplitude = simulator.amplitude, baseSeed = simulator.seed
        for (f, fluence) in fluences.enumerated() {
            for run in 0..<runs {
                var on = simulator, off = simulator
                on.amplitude = baseAmplitude * fluence / fluences[0]
                on.seed = baseSeed &+ UInt64(2 * (f * runs + run))
                off.amplitude = 0
                off.seed = on.seed &+ 1
                let (onStack, onTruth) = try on.run()
                if f == 0 && run == 0 { truth = onTruth }
                let names = ("f\(f)_run\(run)_on.tif", "f\(f)_run\(run)_off.tif")
                stacks[names.0] = onStack
                stacks[names.1] = try off.run().stack
                for delay in simulator.delays.indices {
                    frames.append(FrameEntry(delay: delay, fluence: f, run: run, kind: .pumpOn, file: names.0, page: delay))
                    frames.append(FrameEntry(delay: delay, fluence: f, run: run, kind: .pumpOff, file: names.1, page: delay))
                }
            }
        }
        let manifest = DatasetManifest(
            pixelSizeNm: simulator.pixelSize, frameWidth: simulator.width, frameHeight: simulator.height,
            axes: ScanAxes(delayFs: simulator.delays, fluence: fluences.map { ScanAxes.Fluence(nAbs: $0) }, runs: runs),
            instrument: ["camera.model": InstrumentSetting("simulated"), "simulation.seed": InstrumentSetting(Double(baseSeed)),
                         "simulation.amplitude": InstrumentSetting(baseAmplitude, unit: "counts"),
                         "simulation.background": InstrumentSetting(simulator.background, unit: "counts")],
            frames: frames)
        try Dataset.write(manifest, stacks: stacks, to: folder)
        try TAMSimulator.writeTruth(truth, to: folder + "/truth.csv")
        return (manifest, truth)
    }
}
