import FitCore
import Foundation
import TAMData
import TextInput

/// kinetics.csv: one row per trace, every trace in the widest layout (four components, t0,
/// irf_sigma, offset, the coherent artefact's three amplitudes), each value followed by its
/// standard error. A trace fitted with fewer components, or without the artefact, holds NaN in
/// the columns it lacks; `components` says how many it has, `long_lived` whether its slowest is
/// the held long-lived one (lifetime inf). `honest` is 1 for a converged fit with finite errors
/// on no bound (`FitState.converged`), 0 otherwise: the state says why.
///
/// kinetics.h5 holds the same numbers: `values` and `errors` (traces x the widest layout,
/// float64, NaN where a trace lacks the column; their `columns` attribute names them), `state`,
/// `components`, `long_lived`, `honest`, `chi2`, `bic`, `wavelength_nm` (one per trace) and
/// `delay_fs`.
public enum KineticsTable {
    public static var header: [String] {
        var names = ["trace", "wavelength_nm", "model", "components", "long_lived", "state", "honest", "chi2", "bic", "iterations"]
        for name in KineticsTraceFit.wideNames { names += [name, name + "_se"] }
        return names
    }

    /// One row of kinetics.csv, with its newline; `label`: the trace's wavelength (or pixel index).
    public static func row(_ index: Int, label: Double, _ fit: KineticsTraceFit) -> String {
        var cells = ["\(index)", CSVNumber.text(label), fit.model.name, "\(fit.components)", fit.longLived ? "1" : "0",
                     fit.state.description, fit.isHonest ? "1" : "0", CSVNumber.text(fit.chiSquare), CSVNumber.text(fit.bic),
                     "\(fit.iterations)"]
        let (values, errors) = fit.wide
        for j in values.indices { cells += [CSVNumber.text(values[j]), CSVNumber.text(errors[j])] }
        return cells.joined(separator: ",") + "\n"
    }

    /// The table's text; `labels`: each trace's wavelength (or pixel index).
    public static func text(_ fits: [KineticsTraceFit], labels: [Double]) -> String {
        header.joined(separator: ",") + "\n" + fits.indices.map { row($0, label: labels[$0], fits[$0]) }.joined()
    }
}

/// kinetics.csv and kinetics.h5 (`KineticsTable`), streamed: rows are appended a block of traces
/// at a time into hidden files beside the targets, which take their names only at `commit`, so a
/// run that stops leaves no table that looks complete.
public final class KineticsTableWriter {
    public let csvPath: String
    public let hdf5Path: String
    let csvTemporary: String
    let hdf5Temporary: String
    let csv: AppendingFile
    var hdf5: HDF5File?
    let values, errors, states, components, longLived, honest, chiSquares, bics, labels: HDF5File.RowWriter
    /// Traces written so far.
    public private(set) var count = 0

    /// Starts both tables, `folder/<stem>.csv` and `.h5` (the folder must exist), for traces on
    /// `delays`.
    public init(folder: String, stem: String = "kinetics", delays: [Double]) throws {
        csvPath = folder + "/" + stem + ".csv"
        hdf5Path = folder + "/" + stem + ".h5"
        csvTemporary = try AtomicFile.temporaryPath(for: csvPath)
        hdf5Temporary = try AtomicFile.temporaryPath(for: hdf5Path)
        do {
            csv = try AppendingFile(creating: csvTemporary)
            try csv.write(Array((KineticsTable.header.joined(separator: ",") + "\n").utf8))
        } catch let failure as AppendingFile.Failure {
            unlink(csvTemporary)
            throw OutputError(csvPath, failure.problem)
        }
        let file: HDF5File
        do { file = try HDF5File.create(hdf5Temporary) } catch {
            unlink(csvTemporary)
            throw error
        }
        hdf5 = file
        let width = KineticsTraceFit.wideNames.count
        values = try file.rowWriter("values", columns: width, type: .float64, chunkRows: 4096)
        errors = try file.rowWriter("errors", columns: width, type: .float64, chunkRows: 4096)
        try values.setAttribute("columns", .strings(KineticsTraceFit.wideNames))
        try errors.setAttribute("columns", .strings(KineticsTraceFit.wideNames))
        states = try file.rowWriter("state", type: .int32, chunkRows: 4096)
        try states.setAttribute("names", .strings(FitState.allCases.map { "\($0.rawValue)=\($0.description)" }))
        components = try file.rowWriter("components", type: .int32, chunkRows: 4096)
        longLived = try file.rowWriter("long_lived", type: .uint8, chunkRows: 4096)
        honest = try file.rowWriter("honest", type: .uint8, chunkRows: 4096)
        chiSquares = try file.rowWriter("chi2", type: .float64, chunkRows: 4096)
        bics = try file.rowWriter("bic", type: .float64, chunkRows: 4096)
        labels = try file.rowWriter("wavelength_nm", type: .float64, chunkRows: 4096)
        try file.write("delay_fs", dimensions: [delays.count], values: delays, as: .float64)
        try file.setAttribute("format", .string("femtofit-kinetics/1"))
    }

    deinit {
        // Not committed: nothing half-written keeps a name.
        if hdf5 != nil { abort() }
    }

    /// Appends the next traces' rows; `labels`: their wavelengths (or pixel indices).
    public func append(_ fits: [KineticsTraceFit], labels traceLabels: [Double]) throws {
        precondition(fits.count == traceLabels.count, "one label per fit")
        var text = ""
        var wideValues: [Double] = [], wideErrors: [Double] = []
        for (k, fit) in fits.enumerated() {
            text += KineticsTable.row(count + k, label: traceLabels[k], fit)
            let wide = fit.wide
            wideValues += wide.values; wideErrors += wide.errors
        }
        do { try csv.write(Array(text.utf8)) } catch let failure as AppendingFile.Failure { throw OutputError(csvPath, failure.problem) }
        try values.append(wideValues)
        try errors.append(wideErrors)
        try states.append(fits.map { $0.state.rawValue })
        try components.append(fits.map { Int32($0.components) })
        try longLived.append(fits.map { UInt8($0.longLived ? 1 : 0) })
        try honest.append(fits.map { UInt8($0.isHonest ? 1 : 0) })
        try chiSquares.append(fits.map(\.chiSquare))
        try bics.append(fits.map(\.bic))
        try labels.append(traceLabels)
        count += fits.count
    }

    /// Gives both tables their names.
    public func commit() throws {
        guard let file = hdf5 else { return }
        hdf5 = nil
        try file.close()
        try AtomicFile.commit(csvTemporary, to: csvPath)
        try AtomicFile.commit(hdf5Temporary, to: hdf5Path)
    }

    /// Removes what was written (a failed run).
    public func abort() {
        if let file = hdf5 { try? file.close() }
        hdf5 = nil
        unlink(csvTemporary)
        unlink(hdf5Temporary)
    }
}
