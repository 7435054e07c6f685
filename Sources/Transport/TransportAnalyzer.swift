/// Analyses every series of a `FitsTable`, then splits the sub-diffusive regimes of each fluence
/// series (same wavelength and spot, several fluences) by `FluenceSeriesRegimes`. A series that
/// cannot be analysed (too few fitted frames) is left out with a note naming it, rather than
/// stopping the rest. A table that scans three or more probe wavelengths also gets the energetic
/// disorder of each (fluence, spot) from its bleach-peak shift (`DisorderFromScan`).
public enum TransportAnalyzer {
    public struct Outcome: Sendable {
        public var blocks: [AnalysisDocument.Block]
        public var disorder: [DisorderFromScan.Result]
        public var notes: [String]
    }

    /// `progress(done, total)` is called (from worker threads, one call at a time) after each series.
    public static func analyse(_ table: FitsTable, settings: TransportAnalysis.Settings,
                               progress: ((Int, Int) -> Void)? = nil) throws -> Outcome {
        var blocks: [AnalysisDocument.Block] = [], notes: [String] = []
        // Series are independent (each seeds its own bootstrap from its data): analysed on every
        // core, then taken in table order, so the result does not depend on the thread count.
        let analyses = SeriesParallel.map(table.series, progress: progress) { s in
            Result { try TransportAnalysis(delays: s.delays, sigmas: s.sigmas, errors: s.errors, valid: s.valid, settings: settings) }
        }
        for (s, outcome) in zip(table.series, analyses) {
            do {
                blocks.append(AnalysisDocument.Block(key: s.key, analysis: try outcome.get()))
            } catch let error as TransportError {
                if case .badSetting = error { throw error }
                notes.append("\(s.key.label): not analysed: \(error)")
            }
        }
        guard !blocks.isEmpty else {
            throw TransportError.notEnoughFrames("no series could be analysed: " + notes.joined(separator: "; "))
        }
        // Fluence series: same wavelength and spot, more than one fluence.
        var groups: [FitsTable.SeriesKey: [Int]] = [:]
        for (i, b) in blocks.enumerated() where b.key.fluence != nil {
            groups[FitsTable.SeriesKey(fluence: nil, wavelengthNm: b.key.wavelengthNm, spot: b.key.spot), default: []].append(i)
        }
        for (group, members) in groups.sorted(by: { $0.key < $1.key }) where members.count >= 2 {
            var analyses = members.map { blocks[$0].analysis }
            let groupNotes = FluenceSeriesRegimes.classify(fluences: members.map { blocks[$0].key.fluence! }, analyses: &analyses)
            for (m, a) in zip(members, analyses) { blocks[m].analysis = a }
            notes += groupNotes.map { (group.label == "the series" ? "" : group.label + ": ") + $0 }
        }
        let scan = DisorderFromScan.analyse(table, temperature: settings.temperature)
        return Outcome(blocks: blocks, disorder: scan.results, notes: notes + scan.notes)
    }
}
