import FitCore
import TAMData
import Transport

/// The plots of per-trace kinetics, beside kinetics.csv: each honest trace's time zero against
/// its wavelength (t0.svg: the chirp as the traces see it) and its lifetimes (lifetimes.svg, log
/// scale; a long-lived component has no finite lifetime and is left out). Flagged traces are not
/// drawn: a plot shows only what the data pinned down.
///
/// The points are gathered as the blocks of traces stream past (`add`), at most `maximumPoints`
/// traces of them (every k-th when there are more, said in the title), so memory and the SVG stay
/// bounded however many traces there are.
public struct KineticsPlots: Sendable {
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    /// Traces drawn at most.
    public static let maximumPoints = 4000

    /// The traces are pixels (x axis: pixel index), not wavelengths.
    public let pixels: Bool
    /// Every `stride`-th trace is drawn.
    public let stride: Int
    var total = 0, honest = 0
    var t0: [(x: Double, y: Double, error: Double)] = []
    var lifetimes = [[(x: Double, y: Double, error: Double)]](repeating: [], count: ModelID.maximumExponentials)

    public init(traceCount: Int, pixels: Bool) {
        self.pixels = pixels
        stride = max(1, (traceCount + Self.maximumPoints - 1) / Self.maximumPoints)
    }

    /// The next traces (`first` is the first one's index) and their labels.
    public mutating func add(_ fits: [KineticsTraceFit], labels: [Double], first: Int) {
        let t0Column = 2 * ModelID.maximumExponentials
        for (k, fit) in fits.enumerated() where fit.isHonest {
            honest += 1
            guard (first + k) % stride == 0 else { continue }
            let (values, errors) = fit.wide
            t0.append((labels[k], values[t0Column], errors[t0Column]))
            for c in 0..<min(fit.components, ModelID.maximumExponentials) where values[2 * c + 1].isFinite {
                lifetimes[c].append((labels[k], values[2 * c + 1], errors[2 * c + 1]))
            }
        }
        total += fits.count
    }

    /// Writes t0.svg and lifetimes.svg into `folder`, atomically.
    public func write(to folder: String) throws {
        let xLabel = pixels ? "pixel" : "wavelength (nm)"
        let sampled = stride > 1 ? "; every \(stride)th trace drawn" : ""
        var t0Plot = SVGPlot(title: "Time zero of each honest trace (\(honest) of \(total)\(sampled))", xLabel: xLabel, yLabel: "t0 (fs)")
        t0Plot.series.append(.init(label: "t0 ± 1 s.e.", x: t0.map(\.x), y: t0.map(\.y), yError: t0.map(\.error),
                                   color: Self.colors[0], asPoints: true))
        var lifetimePlot = SVGPlot(title: "Lifetimes of the honest traces, shortest first\(sampled)", xLabel: xLabel,
                                   yLabel: "lifetime (fs)", logY: true)
        for (c, points) in lifetimes.enumerated() where !points.isEmpty {
            lifetimePlot.series.append(.init(label: "tau_\(c + 1)", x: points.map(\.x), y: points.map(\.y), yError: points.map(\.error),
                                             color: Self.colors[c], asPoints: true))
        }
        try AtomicFile.write(t0Plot.render(), to: folder + "/t0.svg")
        try AtomicFile.write(lifetimePlot.render(), to: folder + "/lifetimes.svg")
    }
}
