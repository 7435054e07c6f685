import Foundation

/// A heat map as SVG: a grid of cells coloured on a perceptual (viridis-like) scale, with row
/// and column labels and a colour bar. Cells without a number (NaN) are light grey with a cross,
/// so "not measured" never looks like a low value. For summary maps over fluence × wavelength,
/// spot rasters and per-pixel maps.
public struct SVGHeatMap: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var colorBarLabel: String
    public var columnLabels: [String]
    public var rowLabels: [String]
    /// values[row][column]; row 0 is drawn at the top.
    public var values: [[Double]]

    public init(title: String, xLabel: String, yLabel: String, colorBarLabel: String, columnLabels: [String], rowLabels: [String], values: [[Double]]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.colorBarLabel = colorBarLabel
        self.columnLabels = columnLabels; self.rowLabels = rowLabels; self.values = values
    }

    /// Viridis, sampled at nine points and interpolated.
    static let stops: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (110, 206, 88), (253, 231, 37),
    ]

    public static func color(_ fraction: Double) -> String {
        let f = min(max(fraction.isFinite ? fraction : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(f), stops.count - 2), w = f - Double(i)
        let a = stops[i], b = stops[i + 1]
        let c = [a.0 + (b.0 - a.0) * w, a.1 + (b.1 - a.1) * w, a.2 + (b.2 - a.2) * w].map { Int($0.rounded()) }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    public func render() -> String {
        let rows = values.count, columns = values.first?.count ?? 0
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        let span = hi > lo ? hi - lo : 1
        let left = 110.0, top = 44.0, plotSize = 440.0
        let cell = max(1, min(plotSize / Double(max(columns, 1)), plotSize / Double(max(rows, 1)), 60))
        let plotW = cell * Double(columns), plotH = cell * Double(rows)
        let width = left + plotW + 130, height = top + plotH + 70
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
        for r in 0..<rows {
            for c in 0..<columns {
                let x = left + Double(c) * cell, y = top + Double(r) * cell, v = values[r][c]
                if v.isFinite {
                    out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(Self.color((v - lo) / span))\"><title>\(label(v))</title></rect>\n"
                } else {
                    out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"#e6e6e6\"/>"
                    if cell >= 8 {
                        out += "<path d=\"M\(f(x)) \(f(y)) l\(f(cell)) \(f(cell)) M\(f(x + cell)) \(f(y)) l-\(f(cell)) \(f(cell))\" stroke=\"#aaaaaa\"/>"
                    }
                    out += "\n"
                }
            }
        }
        // Labels: every one when they fit, else about ten.
        let columnStep = max(1, columns / 10), rowStep = max(1, rows / 10)
        for c in stride(from: 0, to: columns, by: columnStep) where c < columnLabels.count {
            out += "<text x=\"\(f(left + (Double(c) + 0.5) * cell))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(escape(columnLabels[c]))</text>\n"
        }
        for r in stride(from: 0, to: rows, by: rowStep) where r < rowLabels.count {
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(top + (Double(r) + 0.5) * cell + 4))\" text-anchor=\"end\">\(escape(rowLabels[r]))</text>\n"
        }
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 40))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(16,\(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        // Colour bar.
        let barX = left + plotW + 24, barH = max(plotH, 120)
        for i in 0..<64 {
            let y = top + barH * (1 - Double(i + 1) / 64)
            out += "<rect x=\"\(f(barX))\" y=\"\(f(y))\" width=\"16\" height=\"\(f(barH / 64 + 0.5))\" fill=\"\(Self.color((Double(i) + 0.5) / 64))\"/>"
        }
        out += "\n<rect x=\"\(f(barX))\" y=\"\(f(top))\" width=\"16\" height=\"\(f(barH))\" fill=\"none\" stroke=\"black\"/>\n"
        out += "<text x=\"\(f(barX + 22))\" y=\"\(f(top + 10))\">\(label(hi))</text>\n"
        out += "<text x=\"\(f(barX + 22))\" y=\"\(f(top + barH))\">\(label(lo))</text>\n"
        out += "<text transform=\"translate(\(f(barX + 70)),\(f(top + barH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(colorBarLabel))</text>\n"
        return out + "</svg>\n"
    }

    func label(_ v: Double) -> String {
        guard v.isFinite else { return "—" }
        let a = abs(v)
        if a != 0 && (a >= 1e5 || a < 1e-3) { return String(format: "%.2e", v) }
        return String(format: a >= 100 ? "%.0f" : "%.3g", v)
    }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    func escape(_ s: String) -> String { XMLText.escape(s) }
}
