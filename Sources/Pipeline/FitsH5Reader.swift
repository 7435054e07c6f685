import FitCore
import TAMData
import Transport

/// Reads fits.h5 back (what `femtofit fit` writes) as the fits table the transport analysis
/// takes, so a run with `--csv off` can be analysed: the columns are fits.csv's, named by the
/// file's `columns` attribute.
public enum FitsH5Reader {
    /// The table of `path`; `pixelSize` converts widths in pixels, as for fits.csv.
    public static func table(_ path: String, pixelSize: Double?) throws -> FitsTable {
        let file = try HDF5File.open(path)
        guard let schema = file.strings("schema")?.first, schema.hasPrefix("femtofit-fits-h5/") else {
            throw TAMDataError(path, "is not a fits.h5 that femtofit fit wrote (no femtofit-fits-h5 schema attribute)")
        }
        guard let columns = file.strings("columns") else { throw TAMDataError(path, "has no columns attribute") }
        let parameters = try file.dataset("/parameters"), errors = try file.dataset("/standard_errors")
        let p = parameters.shape.dimensions.count == 2 ? parameters.shape.dimensions[1] : 0
        let n = parameters.shape.dimensions.first ?? 0
        let values = try parameters.readAll(), errorValues = try errors.readAll()
        guard let parameterNames = parameters.stringsAttribute("columns"), parameterNames.count == p else {
            throw TAMDataError(path, "/parameters has no columns attribute naming its \(p) columns; the file is damaged")
        }
        func column(_ name: String) throws -> [Double]? { file.exists("/" + name) ? try file.dataset("/" + name).readAll() : nil }
        let index = try column("index") ?? [], states = try column("state") ?? [], chi2 = try column("chi2") ?? []
        let iterations = try column("iterations") ?? []
        let extra: [String: [Double]] = try ["fluence", "wavelength_nm", "spot", "delay_fs"].reduce(into: [:]) { $0[$1] = try column($1) }
        for (name, data) in [("index", index), ("state", states), ("chi2", chi2), ("iterations", iterations)] + extra.map({ ($0.key, $0.value) })
        where data.count != n {
            throw TAMDataError(path, "\(name) holds \(data.count) rows but parameters \(n); the file is damaged")
        }
        guard values.count == n * p, errorValues.count == n * p, columns.count >= 2 * p + 4 else {
            throw TAMDataError(path, "parameters, standard_errors and the columns attribute disagree; the file is damaged")
        }
        let stateNames = Dictionary(uniqueKeysWithValues: FitState.allCases.map { (Double($0.rawValue), $0.description) })
        var text = columns.joined(separator: ",") + "\n"
        for i in 0..<n {
            var row: [String] = []
            for name in columns {
                switch name {
                case "index": row.append("\(Int(index[i]))")
                case "state": row.append(stateNames[states[i]] ?? "invalid_input")
                case "chi2": row.append(CSVNumber.text(chi2[i]))
                case "iterations": row.append("\(Int(iterations[i]))")
                case "spot": row.append("\(Int(extra["spot"]![i]))")
                default:
                    if let data = extra[name] { row.append(CSVNumber.text(data[i])); continue }
                    if let j = parameterNames.firstIndex(of: name) { row.append(CSVNumber.text(values[i * p + j])) }
                    else if let j = parameterNames.firstIndex(where: { $0 + "_err" == name }) { row.append(CSVNumber.text(errorValues[i * p + j])) }
                    else { throw TAMDataError(path, "has a column \(name) that fits.h5 does not hold") }
                }
            }
            text += row.joined(separator: ",") + "\n"
        }
        return try FitsTable(csv: text, source: path, pixelSize: pixelSize)
    }

    /// The frames fits.h5's shape group flags as not Gaussian, per series (delays in fs), as
    /// `ShapeFlags.read` gives them from shape.csv; nil when the run had no shape check.
    public static func shapeFlags(_ path: String) throws -> [FitsTable.SeriesKey: (flagged: [Double], total: Int)]? {
        let file = try HDF5File.open(path)
        guard file.exists("/shape/fit"), file.exists("/shape/gaussian") else { return nil }
        let fits = try file.dataset("/shape/fit").readAll(), gaussian = try file.dataset("/shape/gaussian").readAll()
        guard fits.count == gaussian.count else { throw TAMDataError(path, "/shape/fit and /shape/gaussian differ in length; the file is damaged") }
        let names = ["fluence", "wavelength_nm", "spot", "delay_fs"].filter { file.exists("/" + $0) }
        let columns = try names.map { try file.dataset("/" + $0).readAll() }
        var text = (names + ["gaussian"]).joined(separator: ",") + "\n"
        for (row, fit) in fits.enumerated() {
            let i = Int(fit)
            guard i >= 0, columns.allSatisfy({ i < $0.count }) else { throw TAMDataError(path, "/shape/fit names fit \(i), which fits.h5 does not hold; the file is damaged") }
            let series = zip(names, columns).map { $0 == "spot" ? "\(Int($1[i]))" : CSVNumber.text($1[i]) }
            text += (series + [gaussian[row] != 0 ? "true" : "false"]).joined(separator: ",") + "\n"
        }
        return try ShapeFlags.read(csv: text, source: path)
    }
}
