/// Summary heat maps of the analysis: for each spot, D_max, the band-like length and each
/// regime's alpha over the fluence × wavelength grid; for each (fluence, wavelength), the same over
/// the raster of spots (placed by their sample-stage positions when known, else by index). A map
/// is drawn only where it has at least two cells. Absent numbers (no band-like regime, fewer
/// regimes) are NaN cells.
public enum SummaryMaps {
    /// The quantities mapped, with their file-name stem and colour-bar label.
    static func quantities(_ blocks: [AnalysisDocument.Block]) -> [(stem: String, label: String, value: (TransportAnalysis) -> Double)] {
        var list: [(String, String, (TransportAnalysis) -> Double)] = [
            ("d_max", "D_max (cm²/s)", { $0.dMax?.value ?? .nan }),
            ("band_like_length", "band-like length (nm)", { $0.bandLike.lengthNm?.value ?? .nan }),
        ]
        let regimes = blocks.map(\.analysis.regimes.count).max() ?? 0
        for k in 0..<regimes {
            list.append(("alpha_regime\(k + 1)", "alpha of regime \(k + 1)", { $0.regimes.count > k ? $0.regimes[k].alpha.value : .nan }))
        }
        return list
    }

    static func text(_ v: Double?) -> String {
        guard let v else { return "—" }
        return v.isFinite && v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }

    /// File names and maps. `spotPositions`: sample-stage (x, y) in um by spot index, when known.
    public static func maps(_ blocks: [AnalysisDocument.Block], spotPositions: [Int: (x: Double, y: Double)] = [:]) -> [(String, SVGHeatMap)] {
        var out: [(String, SVGHeatMap)] = []
        let quantities = quantities(blocks)
        // Fluence × wavelength, per spot.
        let spots = Set(blocks.map { $0.key.spot ?? 0 }).sorted()
        for spot in spots {
            let members = blocks.filter { ($0.key.spot ?? 0) == spot }
            let fluences = Set(members.map { $0.key.fluence ?? 0 }).sorted(), wavelengths = Set(members.map { $0.key.wavelengthNm ?? 0 }).sorted()
            guard fluences.count * wavelengths.count >= 2 else { continue }
            for q in quantities {
                var values = [[Double]](repeating: [Double](repeating: .nan, count: fluences.count), count: wavelengths.count)
                for b in members {
                    values[wavelengths.firstIndex(of: b.key.wavelengthNm ?? 0)!][fluences.firstIndex(of: b.key.fluence ?? 0)!] = q.value(b.analysis)
                }
                let name = "map_\(q.stem)_spot\(spot).svg"
                out.append((name, SVGHeatMap(title: "\(q.label), spot \(spot)", xLabel: "fluence <N_abs>", yLabel: "probe wavelength (nm)",
                                             colorBarLabel: q.label, columnLabels: fluences.map { text($0) }, rowLabels: wavelengths.map { text($0) },
                                             values: values)))
            }
        }
        // Spot rasters, per (fluence, wavelength).
        guard spots.count >= 2 else { return out }
        let cells = spots.map { spot in spotPositions[spot] ?? (x: Double(spot), y: 0) }
        let xs = Set(cells.map(\.x)).sorted(), ys = Set(cells.map(\.y)).sorted()
        let unit = spotPositions.isEmpty ? "spot index" : "stage x (um)"
        var pairs: [FitsTable.SeriesKey] = []
        for b in blocks {
            let pair = FitsTable.SeriesKey(fluence: b.key.fluence, wavelengthNm: b.key.wavelengthNm, spot: nil)
            if !pairs.contains(pair) { pairs.append(pair) }
        }
        for (p, pair) in pairs.enumerated() {
            let members = blocks.filter { $0.key.fluence == pair.fluence && $0.key.wavelengthNm == pair.wavelengthNm }
            for q in quantities {
                var values = [[Double]](repeating: [Double](repeating: .nan, count: xs.count), count: ys.count)
                for b in members {
                    let c = spotPositions[b.key.spot ?? 0] ?? (x: Double(b.key.spot ?? 0), y: 0)
                    values[ys.firstIndex(of: c.y)!][xs.firstIndex(of: c.x)!] = q.value(b.analysis)
                }
                let name = "map_\(q.stem)_spots\(pairs.count > 1 ? "_\(p)" : "").svg"
                out.append((name, SVGHeatMap(title: "\(q.label) over the spots, \(pair.label)", xLabel: unit,
                                             yLabel: spotPositions.isEmpty ? "" : "stage y (um)", colorBarLabel: q.label,
                                             columnLabels: xs.map { text($0) }, rowLabels: ys.map { text($0) }, values: values)))
            }
        }
        return out
    }
}
