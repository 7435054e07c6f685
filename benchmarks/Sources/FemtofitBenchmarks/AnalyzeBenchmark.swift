import Dispatch
import Foundation

/// The user's path for `femtofit analyze`: a whole process on a fits.csv of `series` spots x 64
/// delays (three before time zero), from spawn to exit with analysis.json, the CSVs, plots and
/// report written. Figures: series/s, the seconds that rate gives for the 10 000 series
/// (640 000 rows; goal 60 s), and linearity: the time per series at 4x the series over the time
/// per series at 1x (1 when the cost is linear in series and rows).
enum AnalyzeBenchmark {
    struct Figures {
        var series: Int
        var seconds: Double
        var seriesPerSecond: Double { Double(series) / seconds }
    }

    /// A fits.csv like `femtofit fit` writes for a spot raster: each series a band-like rise
    /// (alpha 1 to 500 fs) then sub-diffusive growth (alpha 0.7), D drawn per spot, widths with
    /// 0.5 nm + 0.2 % noise. Seeded: the same file every run.
    static func writeFitsCSV(_ path: String, series: Int) throws {
        var state: UInt64 = 20_261_204
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        func normal() -> Double { (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * Double.pi * uniform()) }
        let delays = [-300.0, -200, -100] + (0..<61).map { 10 * pow(60_000.0, Double($0) / 60) }
        var text = "index,fluence,wavelength_nm,spot,delay_fs,amplitude,sigma_nm,sigma_nm_err,state\n"
        text.reserveCapacity(series * 64 * 60)
        var index = 0
        for spot in 0..<series {
            let d = 20 + 100 * uniform()  // cm^2/s: MSD = 2 D t, nm^2 = 2 D [cm^2/s] * 1e-1 * t [fs]
            for t in delays {
                let msd = t <= 0 ? 0 : 2 * d * 0.1 * (t < 500 ? t : 500 * pow(t / 500, 0.7))
                let sigma = (140.0 * 140 + msd).squareRoot()
                let error = 0.5 + 0.002 * sigma
                text += "\(index),0.1,800.0,\(spot),\(t),1.0,\(sigma + error * normal()),\(error),converged\n"
                index += 1
            }
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `femtofit analyze` on `series` series, best of `tries` runs.
    static func measure(series: Int, tries: Int = 2) throws -> Figures {
        let folder = NSTemporaryDirectory() + "femtofit-bench-analyze-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fits = folder + "/fits.csv"
        try writeFitsCSV(fits, series: series)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("femtofit").path
        var best = Double.infinity
        for _ in 0..<tries {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["analyze", fits, "--output", folder + "/out"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let start = DispatchTime.now().uptimeNanoseconds
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CLIBenchmarkError("femtofit analyze exited with status \(process.terminationStatus) on the benchmark's fits.csv")
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Figures(series: series, seconds: best)
    }
}
