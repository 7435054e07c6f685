import Foundation

/// A small SVG line-and-points plot with optional logarithmic axes and error bars: for MSD and
/// D(t) curves next to the numbers. No dependencies; opens in any browser.
public struct SVGPlot: Sendable {
    public struct Series: Sendable {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var yError: [Double]?
        public var color: String
        /// Points with error bars, or a line.
        public var asPoints: Bool

        public init(label: String, x: [Double], y: [Double], yError: [Double]? = nil, color: String, asPoints: Bool) {
            self.label = label; self.x = x; self.y = y; self.yError = yError; self.color = color; self.asPoints = asPoints
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logX = false
    public var logY = false
    public var series: [Series] = []
    public var width = 720.0
    public var height = 480.0

    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logX = logX; self.logY = logY
    }

    public func render() -> String {
        // The legend sits right of the plot area, never over the data.
        let longest = series.map(\.label.count).max() ?? 0
        let left = 80.0, right = series.isEmpty ? 20.0 : min(260, 40 + 7 * Double(longest)), top = 40.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        func usable(_ v: Double, _ log: Bool) -> Bool { v.isFinite && (!log || v > 0) }
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for i in s.x.indices where usable(s.x[i], logX) && usable(s.y[i], logY) { xs.append(s.x[i]); ys.append(s.y[i]) }
        }
        guard let xMin0 = xs.min(), let xMax0 = xs.max(), let yMin0 = ys.min(), let yMax0 = ys.max() else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\"><text x=\"20\" y=\"40\">\(escape(title)): no data</text></svg>\n"
        }
        func t(_ v: Double, _ log: Bool) -> Double { log ? log10(v) : v }
        var (xLo, xHi) = (t(xMin0, logX), t(xMax0, logX)), (yLo, yHi) = (t(yMin0, logY), t(yMax0, logY))
        if xHi == xLo { xLo -= 1; xHi += 1 }
        if yHi == yLo { yLo -= 1; yHi += 1 }
        let yPad = (yHi - yLo) * 0.05
        yLo -= yPad; yHi += yPad
        func px(_ v: Double) -> Double { left + (t(v, logX) - xLo) / (xHi - xLo) * plotW }
        func py(_ v: Double) -> Double { top + plotH - (t(v, logY) - yLo) / (yHi - yLo) * plotH }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"black\"/>\n"
        for (value, position) in ticks(xLo, xHi, log: logX) {
            let x = left + (position - xLo) / (xHi - xLo) * plotW
            out += "<line x1=\"\(f(x))\" y1=\"\(top + plotH)\" x2=\"\(f(x))\" y2=\"\(top + plotH + 5)\" stroke=\"black\"/>"
            out += "<text x=\"\(f(x))\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(label(value))</text>\n"
        }
        for (value, position) in ticks(yLo, yHi, log: logY) {
            let y = top + plotH - (position - yLo) / (yHi - yLo) * plotH
            out += "<line x1=\"\(left - 5)\" y1=\"\(f(y))\" x2=\"\(left)\" y2=\"\(f(y))\" stroke=\"black\"/>"
            out += "<text x=\"\(left - 8)\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(label(value))</text>\n"
        }
        out += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 15)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(18,\(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (index, s) in series.enumerated() {
            let points = s.x.indices.filter { usable(s.x[$0], logX) && usable(s.y[$0], logY) }
            if s.asPoints {
                for i in points {
                    let x = px(s.x[i]), y = py(s.y[i])
                    if let e = s.yError?[i], e.isFinite, e > 0 {
                        let lo = s.y[i] - e, hi = s.y[i] + e
                        let yLow = usable(lo, logY) ? min(py(lo), top + plotH) : top + plotH
                        out += "<line x1=\"\(f(x))\" y1=\"\(f(yLow))\" x2=\"\(f(x))\" y2=\"\(f(max(py(hi), top)))\" stroke=\"\(s.color)\" stroke-opacity=\"0.6\"/>"
                    }
                    out += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3\" fill=\"\(s.color)\"/>\n"
                }
            } else if !points.isEmpty {
                let path = points.map { "\(f(px(s.x[$0]))),\(f(py(s.y[$0])))" }.joined(separator: " ")
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"/>\n"
            }
            let ly = top + 10 + Double(index) * 16, lx = left + plotW + 10
            out += "<rect x=\"\(f(lx))\" y=\"\(ly - 9)\" width=\"10\" height=\"10\" fill=\"\(s.color)\"/>"
            out += "<text x=\"\(f(lx + 16))\" y=\"\(ly)\">\(escape(s.label))</text>\n"
        }
        return out + "</svg>\n"
    }

    func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [(Double, Double)] {
        if log {
            return (Int(lo.rounded(.up))...max(Int(lo.rounded(.up)), Int(hi.rounded(.down)))).map { (pow(10, Double($0)), Double($0)) }
        }
        let raw = (hi - lo) / 6, magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var out: [(Double, Double)] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + 1e-12 * step { out.append((v, v)); v += step }
        return out
    }

    func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.0e", v) }
        return a >= 10 ? String(format: "%.0f", v) : String(format: "%.3g", v)
    }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    func escape(_ s: String) -> String { XMLText.escape(s) }
}
