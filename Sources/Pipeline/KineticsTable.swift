import FitCore
import Foundation
import TAMData

/// kinetics.csv: one row per trace, every trace in the widest layout (four components, t0,
/// irf_sigma, offset, the coherent artefact's three amplitudes), each value followed by its
/// standard error. A trace fitted with fewer components, or without the artefact, holds NaN in
/// the columns it lacks; `components` says how many it has, `long_lived` whether its slowest is
/// the held long-lived one (lifetime inf). `honest` is 1 for a converged fit with finite errors
/// on no bound (`FitState.converged`), 0 otherwise: the state says why.
public enum KineticsTable {
    public static var header: [String] {
        var names = ["trace", "wavelength_nm", "model", "components", "long_lived", "state", "honest", "chi2", "bic", "iterations"]
        for name in KineticsTraceFit.wideNames { names += [name, name + "_se"] }
        return names
    }

    /// The table's text; `labels`: each trace's wavelength (or pixel index).
    public static func text(_ fits: [KineticsTraceFit], labels: [Double]) -> String {
        var lines = [header.joined(separator: ",")]
        lines.reserveCapacity(fits.count + 1)
        for (i, fit) in fits.enumerated() {
            var cells = ["\(i)", CSVNumber.text(labels[i]), fit.model.name, "\(fit.components)", fit.longLived ? "1" : "0",
                         fit.state.description, fit.isHonest ? "1" : "0", CSVNumber.text(fit.chiSquare), CSVNumber.text(fit.bic),
                         "\(fit.iterations)"]
            let (values, errors) = fit.wide
            for j in values.indices { cells += [CSVNumber.text(values[j]), CSVNumber.text(errors[j])] }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func write(_ fits: [KineticsTraceFit], labels: [Double], to path: String) throws {
        try AtomicFile.write(text(fits, labels: labels), to: path)
    }

    /// kinetics.h5, the same numbers: `values` and `errors` (traces x the widest layout, float64,
    /// NaN where a trace lacks the column; their `columns` attribute names them), `state`,
    /// `components`, `long_lived`, `honest`, `chi2`, `bic`, `wavelength_nm` (one per trace) and
    /// `delay_fs`; written atomically.
    public static func writeHDF5(_ fits: [KineticsTraceFit], labels: [Double], delays: [Double], to path: String) throws {
        let width = KineticsTraceFit.wideNames.count
        var values: [Double] = [], errors: [Double] = []
        values.reserveCapacity(fits.count * width); errors.reserveCapacity(fits.count * width)
        for fit in fits {
            let wide = fit.wide
            values += wide.values; errors += wide.errors
        }
        try AtomicFile.write(to: path) { temporary in
            let file = try HDF5File.create(temporary)
            try file.write("values", dimensions: [fits.count, width], values: values, as: .float64)
            try file.write("errors", dimensions: [fits.count, width], values: errors, as: .float64)
            try file.setAttribute("columns", .strings(KineticsTraceFit.wideNames), on: "values")
            try file.setAttribute("columns", .strings(KineticsTraceFit.wideNames), on: "errors")
            try file.write("state", dimensions: [fits.count], values: fits.map { $0.state.rawValue }, as: .int32)
            try file.setAttribute("names", .strings(FitState.allCases.map { "\($0.rawValue)=\($0.description)" }), on: "state")
            try file.write("components", dimensions: [fits.count], values: fits.map { Int32($0.components) }, as: .int32)
            try file.write("long_lived", dimensions: [fits.count], values: fits.map { UInt8($0.longLived ? 1 : 0) }, as: .uint8)
            try file.write("honest", dimensions: [fits.count], values: fits.map { UInt8($0.isHonest ? 1 : 0) }, as: .uint8)
            try file.write("chi2", dimensions: [fits.count], values: fits.map(\.chiSquare), as: .float64)
            try file.write("bic", dimensions: [fits.count], values: fits.map(\.bic), as: .float64)
            try file.write("wavelength_nm", dimensions: [fits.count], values: labels, as: .float64)
            try file.write("delay_fs", dimensions: [delays.count], values: delays, as: .float64)
            try file.setAttribute("format", .string("femtofit-kinetics/1"))
            try file.close()
        }
    }
}
