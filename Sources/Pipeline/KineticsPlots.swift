import FitCore
import TAMData
import Transport

/// The plots of per-trace kinetics, beside kinetics.csv: each honest trace's time zero against
/// its wavelength (t0.svg: the chirp as the traces see it) and its lifetimes (lifetimes.svg, log
/// scale; a long-lived component has no finite lifetime and is left out). Flagged traces are not
/// drawn: a plot shows only what the data pinned down.
public enum KineticsPlots {
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

    /// `pixels`: the traces are pixels (x axis: pixel index), not wavelengths.
    public static func write(_ fits: [KineticsTraceFit], labels: [Double], pixels: Bool, to folder: String) throws {
        let xLabel = pixels ? "pixel" : "wavelength (nm)"
        let honest = fits.indices.filter { fits[$0].isHonest }
        var t0 = SVGPlot(title: "Time zero of each honest trace (\(honest.count) of \(fits.count))", xLabel: xLabel, yLabel: "t0 (fs)")
        let t0Values = honest.map { (labels[$0], fits[$0].wide.values[2 * ModelID.maximumExponentials], fits[$0].wide.errors[2 * ModelID.maximumExponentials]) }
        t0.series.append(.init(label: "t0 ± 1 s.e.", x: t0Values.map(\.0), y: t0Values.map(\.1), yError: t0Values.map(\.2),
                               color: colors[0], asPoints: true))
        var lifetimes = SVGPlot(title: "Lifetimes of the honest traces, shortest first", xLabel: xLabel, yLabel: "lifetime (fs)", logY: true)
        for c in 0..<ModelID.maximumExponentials {
            let rows = honest.filter { fits[$0].components > c && fits[$0].wide.values[2 * c + 1].isFinite }
            guard !rows.isEmpty else { continue }
            lifetimes.series.append(.init(label: "tau_\(c + 1)", x: rows.map { labels[$0] }, y: rows.map { fits[$0].wide.values[2 * c + 1] },
                                          yError: rows.map { fits[$0].wide.errors[2 * c + 1] }, color: colors[c], asPoints: true))
        }
        try AtomicFile.write(t0.render(), to: folder + "/t0.svg")
        try AtomicFile.write(lifetimes.render(), to: folder + "/lifetimes.svg")
    }
}
