import Dispatch
import FitCore
import FitCPU
import FitEngine
import Pipeline
import Simulation

/// Kinetics on a realistic transient-absorption matrix (`TransientAbsorptionSimulation`, 409
/// delays), measured in one run (issue 17):
/// - the engine alone: per-trace fits of `kinetics3-artifact` from `KineticsStart`'s start values,
///   fits/s on the CPU backend (float64, as `femtofit kinetics` fits);
/// - the per-trace path as `femtofit kinetics --components auto --coherent-artifact` runs it
///   (`KineticsTraces`: time-zero starts, every count 1-4, the long-lived hold, the choice), traces/s;
/// - the global fit (`GlobalKinetics`, three lifetimes, the artefact, chirp degree 2, its chirp
///   seeded by `TimeZero` on 160 traces), core-ms per trace (the target: at most 12).
enum KineticsBenchmark {
    struct Figures {
        var traces: Int
        var engineFitsPerSecond: Double
        var pathTracesPerSecond: Double
        var globalCoreMsPerTrace: Double
        var globalSeconds: Double
    }

    static func measure(traces: Int, cores: Int) throws -> Figures {
        let s = TransientAbsorptionSimulation(seed: 20_261_205, wavelengthCount: traces)
        let engine = FitEngine(backend: CPUBackend(precision: .double, threadCount: cores))
        let starts = KineticsTraces.timeZeroStarts(delays: s.delays, traces: s.traces)
        // The engine alone, start values given.
        let model = ModelID.kinetics3Artifact, p = model.parameterCount, m = s.delays.count
        let rule = KineticsStart(delays: s.delays)
        var start: [Double] = []
        for i in 0..<traces {
            let trace = (0..<m).map { Double(s.traces[i * m + $0]) }
            start += rule.estimate(model: model, trace: trace, t0: starts[i].t0, irf: starts[i].irf) ?? [Double](repeating: 1, count: p)
        }
        let batch = FitBatch(model: model, fitCount: traces, pointCount: m, data: s.traces, coordinates: .sharedX(s.delays), initialParameters: start)
        let settings = KineticsTraces().settings
        var engineSeconds = Double.infinity, pathSeconds = Double.infinity, globalSeconds = Double.infinity
        for _ in 0..<2 {
            var t = DispatchTime.now().uptimeNanoseconds
            _ = try engine.fit(batch, settings: settings)
            engineSeconds = min(engineSeconds, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
            t = DispatchTime.now().uptimeNanoseconds
            _ = try KineticsTraces(components: .automatic, coherentArtifact: true).fit(delays: s.delays, traces: s.traces, engine: engine)
            pathSeconds = min(pathSeconds, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
            t = DispatchTime.now().uptimeNanoseconds
            _ = try GlobalKinetics(delays: s.delays, wavelengths: s.wavelengths, traces: s.traces,
                                   options: .init(components: 3, coherentArtifact: true, chirpDegree: 2)).fit()
            globalSeconds = min(globalSeconds, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
        }
        let n = Double(traces)
        return Figures(traces: traces, engineFitsPerSecond: n / engineSeconds, pathTracesPerSecond: n / pathSeconds,
                       globalCoreMsPerTrace: globalSeconds * Double(cores) * 1000 / n, globalSeconds: globalSeconds)
    }
}
