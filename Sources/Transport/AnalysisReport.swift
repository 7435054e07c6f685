import Foundation
import TextInput

/// Everything `femtofit analyze` writes into its output folder, each file atomically:
/// analysis.json, analysis.csv (the same numbers, one row per series and quantity), points.csv
/// (MSD, D, L and the local exponent per frame), msd.svg (log–log, with the regime model drawn;
/// every series overlaid, so a fluence series compares at a glance), diffusivity.svg, length.svg,
/// the summary heat maps (`SummaryMaps`, map_*.svg) and any extra maps, and report.html, which
/// shows the plots and maps with the settings and methods used.
public struct AnalysisReport: Sendable {
    public var document: AnalysisDocument
    /// Known MSD curves drawn beside the data (the simulated truth in the demo), nm^2 against fs,
    /// in greys, one per series they belong to.
    public var references: [(label: String, delays: [Double], msd: [Double])] = []
    /// Sample-stage positions of the spots (um) by index, for the spot-raster maps.
    public var spotPositions: [Int: (x: Double, y: Double)] = [:]
    /// Further maps to write and show (per-pixel kinetics maps), by file name.
    public var extraMaps: [(String, SVGHeatMap)] = []

    public init(document: AnalysisDocument, references: [(label: String, delays: [Double], msd: [Double])] = []) {
        self.document = document
        self.references = references
    }

    /// The colours of the curve plots, one per series drawn.
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// Writes into `folder` (created if missing); returns the paths written.
    public func write(to folder: String) throws -> [String] {
        do { try SystemError.createFolder(folder) } catch {
            throw TransportError.cannotWrite("\(folder): cannot create the output folder: \(error)")
        }
        // Each file is made as it is written, and points.csv block by block: for 10^4 series it
        // is 140 MB, which held whole (and copied to bytes) doubled the command's peak memory.
        var files: [(String, (AppendingFile) throws -> Void)] = []
        files.append(("analysis.json", { try $0.write(try document.json()) }))
        files.append(("analysis.csv", { try $0.write(summaryCSV()) }))
        files.append(("points.csv", { try writePointsCSV(to: $0) }))
        let plots = self.plots()
        for (name, plot) in plots { files.append((name, { try $0.write(plot.render()) })) }
        let maps = SummaryMaps.maps(document.blocks, spotPositions: spotPositions) + extraMaps
        for (name, map) in maps { files.append((name, { try $0.write(map.render()) })) }
        files.append(("report.html", { try $0.write(html(plots: plots.map(\.0), maps: maps.map(\.0))) }))
        return try Self.writeAsOneSet(files, to: folder, record: "analysis.json")
    }

    /// Writes `files` (each name with what fills it, called when that file is written) as one
    /// set: each into a staging folder inside `folder` and flushed, then
    /// moved into place with `record` removed first and put back last, so the folder holds either
    /// this run's whole set or what it held before (a failed write removes the staging folder),
    /// and never a record beside files it does not describe.
    static func writeAsOneSet(_ files: [(String, (AppendingFile) throws -> Void)], to folder: String, record: String) throws -> [String] {
        let staging = folder + "/.femtofit-partial-analysis-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        guard mkdir(staging, 0o755) == 0 else {
            throw TransportError.cannotWrite("\(folder): cannot write into the output folder: \(SystemError.words(errno: errno))")
        }
        defer { try? FileManager.default.removeItem(atPath: staging) }
        for (name, fill) in files {
            let path = folder + "/" + name
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw TransportError.cannotWrite("\(path): \(SystemError.words(errno: EISDIR))")
            }
            do {
                let file = try AppendingFile(creating: staging + "/" + name)
                try fill(file)
                file.flush()
            } catch let failure as AppendingFile.Failure {
                throw TransportError.cannotWrite("\(path): \(failure.problem)")
            }
        }
        unlink(folder + "/" + record)
        let ordered = files.map(\.0).filter { $0 != record } + files.map(\.0).filter { $0 == record }
        for name in ordered where rename(staging + "/" + name, folder + "/" + name) != 0 {
            throw TransportError.cannotWrite("\(folder)/\(name): cannot move the finished file into place: \(SystemError.words(errno: errno))")
        }
        let directory = open(folder, O_RDONLY)
        if directory >= 0 { fsync(directory); close(directory) }
        return files.map { folder + "/" + $0.0 }
    }

    static func number(_ v: Double?) -> String {
        guard let v else { return "" }
        return v.isFinite ? "\(v)" : "nan"
    }

    func keyColumns(_ key: FitsTable.SeriesKey) -> String {
        "\(Self.number(key.fluence)),\(Self.number(key.wavelengthNm)),\(key.spot.map(String.init) ?? "")"
    }

    func summaryCSV() -> String {
        var text = "fluence,wavelength_nm,spot,quantity,value,stderr,ci95_lo,ci95_hi\n"
        for block in document.blocks {
            let a = block.analysis
            var rows: [(String, Estimate?)] = [("sigma0_nm", a.sigma0Nm), ("d_max_cm2_s", a.dMax),
                                               ("band_like_length_nm", a.bandLike.lengthNm), ("band_like_persistence_fs", a.bandLike.persistenceFs),
                                               ("band_like_alpha", a.bandLike.alpha), ("mobility_cm2_V_s", a.mobility), ("dots_crossed", a.dotsCrossed)]
            for (i, r) in a.regimes.enumerated() {
                let name = "regime\(i + 1)_\(r.kind.rawValue)"
                rows += [(name + "_start_fs", r.startFs), (name + "_end_fs", r.endFs), (name + "_alpha", r.alpha), (name + "_d_cm2_s", r.diffusivity)]
            }
            for (name, e) in rows {
                text += keyColumns(block.key) + ",\(name),"
                if let e { text += "\(Self.number(e.value)),\(Self.number(e.stderr)),\(Self.number(e.ci95.first)),\(Self.number(e.ci95.last))\n" } else { text += ",,,\n" }
            }
        }
        return text
    }

    /// points.csv: one row per frame of every series, written a series at a time.
    func writePointsCSV(to file: AppendingFile) throws {
        try file.write("fluence,wavelength_nm,spot,delay_fs,sigma_nm,sigma_err_nm,msd_nm2,msd_err_nm2,d_cm2_s,d_err_cm2_s,length_nm,length_err_nm,local_exponent,local_exponent_err,model_msd_nm2\n")
        for block in document.blocks {
            var text = ""
            for p in block.analysis.points {
                let values = [p.delayFs, p.sigmaNm, p.sigmaErrorNm, p.msdNm2.value, p.msdNm2.stderr, p.diffusivity.value, p.diffusivity.stderr,
                              p.lengthNm.value, p.lengthNm.stderr, p.localExponent.value, p.localExponent.stderr, block.analysis.modelMSD(at: p.delayFs) ?? .nan]
                text += keyColumns(block.key) + "," + values.map { Self.number($0) }.joined(separator: ",") + "\n"
            }
            try file.write(text)
        }
    }

    /// Log-spaced times over a series' frames, for drawing its model.
    static func modelTimes(_ a: TransportAnalysis) -> [Double] {
        let positive = a.points.map(\.delayFs).filter { $0 > 0 }
        guard let lo = positive.first, let hi = positive.last, hi > lo else { return positive }
        return (0...200).map { lo * pow(hi / lo, Double($0) / 200) }
    }

    /// Which of `count` series the curve plots draw: all when they fit the palette, else as many
    /// as it has colours, spread evenly over the input's order (more lines cannot be told apart,
    /// and 10^4 of them make plots of 100 MB; the maps and points.csv hold every series).
    static func plotted(_ count: Int) -> [Int] {
        guard count > palette.count else { return Array(0..<count) }
        return (0..<palette.count).map { $0 * (count - 1) / (palette.count - 1) }
    }

    /// A plot title that says when only some series are drawn.
    static func title(_ title: String, drawn: Int, of count: Int) -> String {
        drawn < count ? "\(title) — \(drawn) of \(count) series (all in points.csv)" : title
    }

    func plots() -> [(String, SVGPlot)] {
        let shown = Self.plotted(document.blocks.count)
        func title(_ text: String) -> String { Self.title(text, drawn: shown.count, of: document.blocks.count) }
        var msd = SVGPlot(title: title("Mean squared displacement, with the regime model"), xLabel: "delay (fs)", yLabel: "MSD (nm²)", logX: true, logY: true)
        var d = SVGPlot(title: title("Diffusivity D(t) = MSD / 2t"), xLabel: "delay (fs)", yLabel: "D (cm²/s)", logX: true)
        var l = SVGPlot(title: title("Transport length L(t) = √MSD"), xLabel: "delay (fs)", yLabel: "L (nm)", logX: true)
        let many = document.blocks.count > 1
        for (i, block) in shown.map({ document.blocks[$0] }).enumerated() {
            let a = block.analysis, color = Self.palette[i % Self.palette.count]
            let label = many ? block.key.label : "fitted"
            let positive = a.points.filter { $0.delayFs > 0 }
            let t = positive.map(\.delayFs)
            msd.series.append(.init(label: label, x: t, y: positive.map(\.msdNm2.value), yError: positive.map(\.msdNm2.stderr), color: color, asPoints: true))
            // The model's lines only where there is transport to model.
            let times = a.modelMSD(at: 1) == nil ? [] : Self.modelTimes(a)
            let model = times.map { a.modelMSD(at: $0) ?? .nan }
            let kinds = a.regimes.map(\.kind.rawValue).joined(separator: " → ")
            if !times.isEmpty {
                msd.series.append(.init(label: (many ? block.key.label + ": " : "model: ") + kinds, x: times, y: model, color: color, asPoints: false))
            }
            d.series.append(.init(label: label, x: t, y: positive.map(\.diffusivity.value), yError: positive.map(\.diffusivity.stderr), color: color, asPoints: true))
            if !times.isEmpty {
                d.series.append(.init(label: many ? block.key.label + " model" : "model", x: times, y: zip(times, model).map { $1 / (2 * $0) * 10 }, color: color, asPoints: false))
            }
            l.series.append(.init(label: label, x: t, y: positive.map(\.lengthNm.value), yError: positive.map(\.lengthNm.stderr), color: color, asPoints: true))
            if !times.isEmpty {
                l.series.append(.init(label: many ? block.key.label + " model" : "model", x: times, y: model.map { $0.squareRoot() }, color: color, asPoints: false))
            }
        }
        for (i, reference) in references.enumerated() {
            let keep = reference.delays.indices.filter { reference.delays[$0] > 0 }
            let t = keep.map { reference.delays[$0] }, m = keep.map { reference.msd[$0] }
            let gray = ["#555555", "#888888", "#aaaaaa", "#333333"][i % 4]
            msd.series.append(.init(label: reference.label, x: t, y: m, color: gray, asPoints: false))
            d.series.append(.init(label: reference.label, x: t, y: zip(t, m).map { $1 / (2 * $0) * 10 }, color: gray, asPoints: false))
            l.series.append(.init(label: reference.label, x: t, y: m.map { $0.squareRoot() }, color: gray, asPoints: false))
        }
        var plots = [("msd.svg", msd), ("diffusivity.svg", d), ("length.svg", l)]
        if !document.disorder.isEmpty {
            let shownDisorder = Self.plotted(document.disorder.count)
            var e = SVGPlot(title: Self.title("Bleach-peak energy (red shift → disorder)", drawn: shownDisorder.count, of: document.disorder.count),
                            xLabel: "delay (fs)", yLabel: "peak energy (eV)", logX: false)
            for (i, r) in shownDisorder.map({ document.disorder[$0] }).enumerated() {
                let color = Self.palette[i % Self.palette.count], label = r.key.label
                e.series.append(.init(label: label, x: r.delays, y: r.peakEnergiesEV, color: color, asPoints: true))
                let p = r.disorder, hi = r.delays.max() ?? 1
                let times = (0...100).map { hi * Double($0) / 100 }
                e.series.append(.init(label: label + String(format: ": σ_inh %.1f meV", p.sigmaInhMeV.value), x: times,
                                      y: times.map { p.initialEnergy.value + p.shiftMeV.value / 1000 * (1 - exp(-$0 / p.tauFs.value)) },
                                      color: color, asPoints: false))
            }
            plots.append(("disorder.svg", e))
        }
        return plots
    }

    static func escape(_ s: String) -> String { XMLText.escape(s) }

    static func show(_ e: Estimate?, digits: Int = 1) -> String {
        guard let e, e.value.isFinite else { return "—" }
        let f = "%.\(digits)f"
        guard e.stderr.isFinite, e.stderr >= 0 else { return String(format: f, e.value) + " (bound)" }
        return String(format: "\(f) ± \(f) [\(f), \(f)]", e.value, e.stderr, e.ci95.first ?? .nan, e.ci95.last ?? .nan)
    }

    func html(plots: [String], maps: [String] = []) -> String {
        var s = """
        <!doctype html><html><head><meta charset="utf-8"><title>femtofit analysis</title>
        <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}img{max-width:100%}</style>
        </head><body><h1>femtofit transport analysis</h1>
        <p>Input: <code>\(Self.escape(document.input))</code> · femtofit \(Self.escape(document.femtofitVersion)) · schema \(AnalysisDocument.schema)</p>
        <h2>Settings</h2><table><tr><th>temperature</th><td>\(document.temperatureK) K</td></tr>
        <tr><th>dot pitch</th><td>\(document.dotPitchNm.map { "\($0) nm" } ?? "not given")</td></tr>
        <tr><th>pixel size</th><td>\(document.pixelSizeNm.map { "\($0) nm" } ?? "widths given in nm")</td></tr></table>
        <h2>Results</h2><table><tr><th>series</th><th>σ₀ (nm)</th><th>D_max (cm²/s)</th><th>band-like length (nm)</th><th>persistence (fs)</th><th>mobility (cm²/V s)</th><th>regimes</th></tr>

        """
        for b in document.blocks {
            let a = b.analysis
            let regimes = a.regimes.map { r in
                "\(r.kind.rawValue) \(Int(r.startFs.value))–\(Int(r.endFs.value)) fs, α \(r.alpha.printed(digits: 2))"
            }.joined(separator: "<br>")
            s += "<tr><td>\(Self.escape(b.key.label))</td><td>\(Self.show(a.sigma0Nm))</td><td>\(Self.show(a.dMax))</td><td>\(Self.show(a.bandLike.lengthNm))</td>"
                + "<td>\(Self.show(a.bandLike.persistenceFs, digits: 0))</td><td>\(Self.show(a.mobility, digits: 0))</td><td>\(regimes)</td></tr>\n"
        }
        s += "</table><p>Intervals are 95 %. Value ± standard error [interval].</p>\n"
        if !document.disorder.isEmpty {
            s += "<h2>Energetic disorder</h2><table><tr><th>series</th><th>σ_inh (meV)</th><th>final shift dE (meV)</th><th>τ (fs)</th></tr>\n"
            for r in document.disorder {
                s += "<tr><td>\(Self.escape(r.key.label))</td><td>\(Self.show(r.disorder.sigmaInhMeV))</td><td>\(Self.show(r.disorder.shiftMeV))</td><td>\(Self.show(r.disorder.tauFs, digits: 0))</td></tr>\n"
            }
            s += "</table>\n"
        }
        s += "<h2>Plots</h2>\n"
        for p in plots { s += "<p><img src=\"\(p)\" alt=\"\(p)\"></p>\n" }
        if !maps.isEmpty {
            s += "<h2>Maps</h2>\n"
            for m in maps { s += "<p><img src=\"\(m)\" alt=\"\(m)\"></p>\n" }
        }
        s += "<h2>Methods</h2><table>\n"
        for (k, v) in AnalysisDocument.methods.sorted(by: { $0.key < $1.key }) { s += "<tr><th>\(k)</th><td>\(Self.escape(v))</td></tr>\n" }
        s += "</table>\n"
        let notes = document.notes + document.blocks.flatMap { b in b.analysis.notes.map { "\(b.key.label): \($0)" } }
        if !notes.isEmpty {
            s += "<h2>Notes</h2><ul>\n" + notes.map { "<li>\(Self.escape($0))</li>" }.joined(separator: "\n") + "\n</ul>\n"
        }
        s += "<p>Numbers: analysis.json, analysis.csv, points.csv.</p></body></html>\n"
        return s
    }
}
