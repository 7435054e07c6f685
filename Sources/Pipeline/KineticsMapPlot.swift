import Transport

/// The heat map people look at first beside kinetics_*.tif: each pixel's lifetime (of its
/// largest-amplitude component), masked pixels blank, with the held response width and the count
/// of masked pixels in the title.
public enum KineticsMapPlot {
    public static func lifetime(_ map: KineticsMap, title: String) -> SVGHeatMap {
        let lifetimes = map.dominantLifetimeFs
        let rows = (0..<map.height).map { r in (0..<map.width).map { c in Double(lifetimes[r * map.width + c]) } }
        let which = map.maximumComponents > 1 ? "Lifetime of the largest component per pixel" : "Lifetime per pixel"
        return SVGHeatMap(title: "\(which) (\(title); IRF \(Int(map.instrumentResponseFs.rounded())) fs; \(map.maskedPixels) pixels masked)",
                          xLabel: "x (pixels)", yLabel: "y (pixels)", colorBarLabel: "lifetime (fs)",
                          columnLabels: (0..<map.width).map(String.init), rowLabels: (0..<map.height).map(String.init), values: rows)
    }
}
