import Foundation
import Pipeline
import Transport

/// What `analyze` and `demo` show of a `DatasetAnalysis`: its progress on standard error, then its
/// notes, a line per series (up to a screenful), the disorder and the files written.
enum AnalysisPrinting {
    /// Series summarised on standard output, at most.
    static let printedSeries = 20

    /// Runs `analysis` with a progress bar per stage and its notes printed as they come.
    static func run(_ analysis: DatasetAnalysis) throws -> DatasetAnalysis.Outcome {
        var bar: (stage: String, progress: Progress)?
        return try analysis.run(note: { print($0) }, stage: Progress.say) { stage, done, total in
            if bar?.stage != stage {
                bar = (stage, Progress(stage, unit: stage == "fitting" ? "frames" : stage.hasPrefix("analysing") ? "series" : nil))
            }
            bar?.progress.update(done, of: total)
        }
    }

    static func summarise(_ outcome: DatasetAnalysis.Outcome, output: String) {
        for note in outcome.notes { print(note) }
        // A line per series, up to a screenful: 10^4 of them would bury the rest of the output.
        for b in outcome.blocks.prefix(printedSeries) {
            let a = b.analysis
            var line = "\(b.key.label): sigma_0 \(format(a.sigma0Nm)) nm"
            if let dMax = a.dMax, let length = a.bandLike.lengthNm, let persistence = a.bandLike.persistenceFs {
                line += ", D_max \(format(dMax)) cm^2/s, band-like \(format(persistence, digits: 0)) fs over \(format(length)) nm"
            } else {
                line += ", no band-like regime (\(a.bandLike.reason ?? ""))"
            }
            if !a.regimes.isEmpty {
                line += "; regimes: " + a.regimes.map { "\($0.kind.rawValue) (alpha \($0.alpha.printed(digits: 2)))" }.joined(separator: ", ")
            }
            print(line)
        }
        if outcome.blocks.count > printedSeries {
            print("... and \(outcome.blocks.count - printedSeries) more series: every series is in analysis.csv and analysis.json")
        }
        for r in outcome.disorder {
            print("\(r.key.label): energetic disorder sigma_inh \(format(r.disorder.sigmaInhMeV)) meV (red shift \(format(r.disorder.shiftMeV)) meV, tau \(format(r.disorder.tauFs, digits: 0)) fs)")
        }
        print("results in \(output)/: " + outcome.paths.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))
    }

    /// "value ± error", or the value alone where there is no error (a bound, not a measurement).
    /// `Estimate.printed`, except a value without an error: the persistence of a band-like regime
    /// that lasts to the last frame is a lower bound, and said to be.
    static func format(_ e: Estimate, digits: Int = 1) -> String {
        guard e.value.isFinite, !e.stderr.isFinite else { return e.printed(digits: digits) }
        return "at least " + String(format: "%.\(digits)f", e.value)
    }
}
