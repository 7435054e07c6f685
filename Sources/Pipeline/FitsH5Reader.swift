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
}
