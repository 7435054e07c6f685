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
            if let fluence { parts.append("fluence \(fluence)") }
            if let wavelengthNm { parts.append("\(wavelengthNm) nm") }
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
        let table = try CSVTable(text: text, source: source)
        func column(_ name: String) -> Int? { table.column(name) }
        guard let delayColumn = column("delay_fs") else {
            throw TransportError.badInput("\(source): has no delay_fs column, so MSD(t) cannot be formed; fit again with `femtofit fit --delays FILE` or from a dataset folder")
        }
        var scale = 1.0
        var widthColumns: [(value: Int, error: Int)] = []
        for unit in ["nm", "px"] {
            let names = column("sigma_\(unit)") != nil ? ["sigma_\(unit)"] : ["sigma_x_\(unit)", "sigma_y_\(unit)"]
            let found = names.compactMap { n in column(n).flatMap { v in column(n + "_err").map { (v, $0) } } }
            guard found.count == names.count else { continue }
            widthColumns = found
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
        guard !widthColumns.isEmpty else {
            throw TransportError.badInput("\(source): has no width columns with errors (sigma_nm and sigma_nm_err, or sigma_px and sigma_px_err); fit a Gaussian model")
        }
        let stateColumn = column("state"), amplitudeColumn = column("amplitude")
        var bySeries: [SeriesKey: Series] = [:]
        for row in table.rows.indices {
            let key = try table.seriesKey(row)
            // A Gaussian's width has no sign; elliptic widths combine as a geometric mean, whose
            // relative error is the root-sum-square of the relative errors over their count.
            let widths = try widthColumns.map { (abs(try table.number(row, $0.value)) * scale, try table.number(row, $0.error) * scale) }
            let n = Double(widths.count)
            let sigma = exp(widths.map { log($0.0) }.reduce(0, +) / n)
            let error = sigma / n * widths.map { ($0.1 / $0.0) * ($0.1 / $0.0) }.reduce(0, +).squareRoot()
            var s = bySeries[key] ?? Series(key: key)
            s.delays.append(try table.number(row, delayColumn))
            s.sigmas.append(sigma)
            s.errors.append(error)
            s.valid.append(stateColumn.map { table.rows[row][$0] == "converged" } ?? true)
            s.amplitudes.append(try amplitudeColumn.map { try table.number(row, $0) } ?? .nan)
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
}
