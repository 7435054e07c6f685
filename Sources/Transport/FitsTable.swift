import Foundation
import TextInput

/// The spot widths of `fits.csv` (what `femtofit fit` writes, or an outside tool in the same
/// columns), grouped into series: one per distinct (fluence, wavelength_nm, spot), or a single
/// series when those columns are absent. Widths come from `sigma_nm` (or `sigma_px` times the
/// pixel size); for elliptic models the geometric mean of `sigma_x` and `sigma_y` is taken.
/// Only frames whose `state` is `converged` are used.
public struct FitsTable: Sendable {
    public struct SeriesKey: Sendable, Hashable, Codable, Comparable {
        public var fluence: Double?
        public var wavelengthNm: Double?
        public var spot: Int?
        public init(fluence: Double? = nil, wavelengthNm: Double? = nil, spot: Int? = nil) {
            self.fluence = fluence; self.wavelengthNm = wavelengthNm; self.spot = spot
        }
        public static func < (a: SeriesKey, b: SeriesKey) -> Bool {
            (a.wavelengthNm ?? 0, a.spot ?? 0, a.fluence ?? 0) < (b.wavelengthNm ?? 0, b.spot ?? 0, b.fluence ?? 0)
        }
        /// "fluence 0.09, 700 nm, spot 2", or "the series" without axes.
        public var label: String {
            var parts: [String] = []
            // Rounded for people: a fluence read back as 0.11249999999999999 is 0.1125.
            if let fluence { parts.append("fluence " + String(format: "%.4g", fluence)) }
            if let wavelengthNm { parts.append(String(format: "%.4g", wavelengthNm) + " nm") }
            if let spot { parts.append("spot \(spot)") }
            return parts.isEmpty ? "the series" : parts.joined(separator: ", ")
        }
    }

    public struct Series: Sendable {
        public var key: SeriesKey
        public var delays: [Double] = []
        public var sigmas: [Double] = []
        public var errors: [Double] = []
        public var valid: [Bool] = []
        /// The fitted amplitude per frame (NaN without an `amplitude` column): the signal the
        /// bleach-peak energy is read from across wavelengths.
        public var amplitudes: [Double] = []
    }

    public var series: [Series]

    /// Reads `path`. `pixelSize` (nm) converts widths given in pixels; it is required for them.
    public init(path: String, pixelSize: Double?) throws {
        let text: String
        do { text = try TextFile.read(path) } catch {
            throw TransportError.badInput("\(path): \(error) (is it the fits.csv that femtofit fit writes?)")
        }
        try self.init(csv: text, source: path, pixelSize: pixelSize)
    }

    public init(csv text: String, source: String, pixelSize: Double?) throws {
        // Rows go into their series as they are parsed: a table of 10^6 rows is never held as text fields.
        var columns: Columns?
        var bySeries: [SeriesKey: Series] = [:]
        try CSVTable.forEachRow(text: text, source: source, header: { columns = try Columns($0, source: source, pixelSize: pixelSize) }) { row in
            guard let columns else { return }
            let key = try row.seriesKey()
            // A Gaussian's width has no sign; elliptic widths combine as a geometric mean, whose
            // relative error is the root-sum-square of the relative errors over their count.
            let widths = try columns.widths.map { (abs(try row.number($0.value)) * columns.scale, try row.number($0.error) * columns.scale) }
            let n = Double(widths.count)
            let sigma = exp(widths.map { log($0.0) }.reduce(0, +) / n)
            let error = sigma / n * widths.map { ($0.1 / $0.0) * ($0.1 / $0.0) }.reduce(0, +).squareRoot()
            var s = bySeries.removeValue(forKey: key) ?? Series(key: key)
            s.delays.append(try row.number(columns.delay))
            s.sigmas.append(sigma)
            s.errors.append(error)
            s.valid.append(columns.state.map { row.fields[$0] == "converged" } ?? true)
            s.amplitudes.append(try columns.amplitude.map { try row.number($0) } ?? .nan)
            bySeries[key] = s
        }
        guard !bySeries.isEmpty else { throw TransportError.badInput("\(source): has a header but no frames") }
        for s in bySeries.values {
            let sorted = s.delays.sorted()
            if let dup = zip(sorted, sorted.dropFirst()).first(where: { $0 == $1 }) {
                throw TransportError.badInput("\(source): \(s.key.label) has delay \(dup.0) fs twice; one row per delay and series")
            }
        }
        series = bySeries.values.sorted { $0.key < $1.key }
    }

    /// Where a fits.csv keeps what the analysis reads, found from its header, with the clear
    /// errors for a file that lacks it.
    struct Columns {
        var delay: Int
        var widths: [(value: Int, error: Int)]
        /// nm per width unit (the pixel size for widths in pixels).
        var scale: Double
        var state: Int?
        var amplitude: Int?

        init(_ header: [String], source: String, pixelSize: Double?) throws {
            func column(_ name: String) -> Int? { header.firstIndex(of: name) }
            guard let delay = column("delay_fs") else {
                throw TransportError.badInput("\(source): has no delay_fs column, so MSD(t) cannot be formed; fit again with `femtofit fit --delays FILE` or from a dataset folder")
            }
            self.delay = delay
            scale = 1
            widths = []
            for unit in ["nm", "px"] {
                let names = column("sigma_\(unit)") != nil ? ["sigma_\(unit)"] : ["sigma_x_\(unit)", "sigma_y_\(unit)"]
                let found = names.compactMap { n in column(n).flatMap { v in column(n + "_err").map { (v, $0) } } }
                guard found.count == names.count else { continue }
                widths = found
                if unit == "px" {
                    guard let pixelSize else {
                        throw TransportError.badInput("\(source): widths are in pixels (\(names[0])); give --pixel-size NM to put them in nm")
                    }
                    guard pixelSize > 0, pixelSize.isFinite else {
                        throw TransportError.badSetting("pixel size \(pixelSize) nm: give a positive size in nm")
                    }
                    scale = pixelSize
                }
                break
            }
            guard !widths.isEmpty else {
                throw TransportError.badInput("\(source): has no width columns with errors (sigma_nm and sigma_nm_err, or sigma_px and sigma_px_err); fit a Gaussian model")
            }
            state = column("state")
            amplitude = column("amplitude")
        }
    }
}
