import FitCore
import Foundation
import TAMData
import Transport

/// The files of a global kinetics fit (`GlobalKinetics`), each written atomically:
/// - global.json (schema `femtofit-global/1`): the shared lifetimes, response sigma and chirp
///   coefficients, each `{value, stderr, ci95}`;
/// - das.csv: per trace the decay-associated amplitudes (and offset, artefact) with errors;
/// - chirp.csv: per trace time zero from the chirp, its standard error and 95 % band;
/// - residuals.csv: data - model, as a trace matrix (the input's format);
/// - das.svg, chirp.svg, residuals.svg: the plots (the residual map binned to at most 100 x 120
///   cells, in units of the residual's standard deviation).
public enum GlobalKineticsOutput {
    public static let schema = "femtofit-global/1"

    /// `labels`: wavelengths in nm (or pixel indices, `pixels`).
    public static func write(_ result: GlobalKinetics.Result, labels: [Double], delays: [Double], pixels: Bool,
                             coherentArtifact: Bool, input: String, to folder: String) throws {
        try AtomicFile.write(json(result, traces: labels.count, delays: delays.count, pixels: pixels,
                                  coherentArtifact: coherentArtifact, input: input), to: folder + "/global.json")
        // das.csv
        var das = ([pixels ? "pixel" : "wavelength_nm"] + result.amplitudeNames.flatMap { [$0, $0 + "_se"] }).joined(separator: ",") + "\n"
        for (i, label) in labels.enumerated() {
            var cells = [CSVNumber.text(label)]
            for j in result.amplitudeNames.indices {
                cells += [CSVNumber.text(result.amplitudes[i][safe: j]), CSVNumber.text(result.amplitudeErrors[i][safe: j])]
            }
            das += cells.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(das, to: folder + "/das.csv")
        // chirp.csv
        var chirp = "\(pixels ? "pixel" : "wavelength_nm"),wavenumber_cm,t0_fs,t0_se_fs,t0_lo95_fs,t0_hi95_fs\n"
        for (i, label) in labels.enumerated() {
            let t0 = result.timeZeros[i], se = result.timeZeroErrors[i]
            chirp += [label, pixels ? .nan : 1e7 / label, t0, se, t0 - 1.96 * se, t0 + 1.96 * se].map(CSVNumber.text).joined(separator: ",") + "\n"
        }
        try AtomicFile.write(chirp, to: folder + "/chirp.csv")
        try TraceMatrix(delays: delays, wavelengths: labels, values: result.residuals).write(to: folder + "/residuals.csv")
        try writePlots(result, labels: labels, delays: delays, pixels: pixels, to: folder)
    }

    static func json(_ result: GlobalKinetics.Result, traces: Int, delays: Int, pixels: Bool, coherentArtifact: Bool, input: String) -> Data {
        func number(_ e: Estimate) -> [String: Any] {
            ["value": finite(e.value), "stderr": finite(e.stderr), "ci95": e.ci95.map(finite)]
        }
        var object: [String: Any] = [
            "schema": schema, "femtofit_version": FemtofitVersion.current, "input": input,
            "traces": traces, "delays": delays, "components": result.lifetimes.count, "long_lived": result.longLived,
            "coherent_artifact": coherentArtifact,
            "lifetimes_fs": result.lifetimes.map(number), "irf_sigma_fs": number(result.irfSigma),
            "chi2": finite(result.chiSquare), "degrees_of_freedom": result.degreesOfFreedom,
            "reduced_chi2": finite(result.degreesOfFreedom > 0 ? result.chiSquare / Double(result.degreesOfFreedom) : .nan),
            "iterations": result.iterations, "converged": result.converged, "notes": result.notes,
            "amplitude_names": result.amplitudeNames,
        ]
        if pixels {
            object["time_zero_fs"] = number(result.chirp[0])
        } else {
            object["chirp"] = ["variable": "(wavenumber_cm - reference_wavenumber_cm) / 1000",
                               "reference_wavenumber_cm": finite(result.referenceWavenumber),
                               "coefficients_fs": result.chirp.map(number)] as [String: Any]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// JSON has no NaN or infinity: null.
    static func finite(_ v: Double) -> Any { v.isFinite ? v : NSNull() }

    static func writePlots(_ result: GlobalKinetics.Result, labels: [Double], delays: [Double], pixels: Bool, to folder: String) throws {
        let xLabel = pixels ? "pixel" : "wavelength (nm)"
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f", "#e377c2", "#17becf", "#bcbd22"]
        var das = SVGPlot(title: "Decay-associated spectra (global fit)", xLabel: xLabel, yLabel: "amplitude")
        let decays = result.lifetimes.count + (result.longLived ? 1 : 0)
        for j in 0..<decays {
            let label = j < result.lifetimes.count ? "tau = \(String(format: "%.4g", result.lifetimes[j].value)) fs" : "long-lived"
            das.series.append(.init(label: label, x: labels, y: result.amplitudes.map { $0[safe: j] },
                                    yError: result.amplitudeErrors.map { $0[safe: j] }, color: colors[j % colors.count], asPoints: false))
        }
        try AtomicFile.write(das.render(), to: folder + "/das.svg")
        var chirp = SVGPlot(title: "Time zero from the chirp, with its 95 % band", xLabel: xLabel, yLabel: "t0 (fs)")
        chirp.series.append(.init(label: "t0", x: labels, y: result.timeZeros, color: colors[0], asPoints: false))
        chirp.series.append(.init(label: "95 % band", x: labels, y: zip(result.timeZeros, result.timeZeroErrors).map { $0 - 1.96 * $1 },
                                  color: "#999999", asPoints: false))
        chirp.series.append(.init(label: "", x: labels, y: zip(result.timeZeros, result.timeZeroErrors).map { $0 + 1.96 * $1 },
                                  color: "#999999", asPoints: false))
        try AtomicFile.write(chirp.render(), to: folder + "/chirp.svg")
        try AtomicFile.write(residualMap(result.residuals, labels: labels, delays: delays, pixels: pixels).render(), to: folder + "/residuals.svg")
    }

    /// The residuals binned to at most 100 rows (traces) x 120 columns (delays), each cell the
    /// mean residual over the bin in units of the residuals' standard deviation.
    static func residualMap(_ residuals: [Float], labels: [Double], delays: [Double], pixels: Bool) -> SVGHeatMap {
        let n = labels.count, m = delays.count
        let rows = min(n, 100), columns = min(m, 120)
        var squares = 0.0, count = 0
        for v in residuals where v.isFinite { squares += Double(v) * Double(v); count += 1 }
        let sd = count > 0 ? (squares / Double(count)).squareRoot() : 1
        var values = [[Double]](repeating: [Double](repeating: .nan, count: columns), count: rows)
        for r in 0..<rows {
            let traceRange = (r * n / rows)..<max((r + 1) * n / rows, r * n / rows + 1)
            for c in 0..<columns {
                let delayRange = (c * m / columns)..<max((c + 1) * m / columns, c * m / columns + 1)
                var sum = 0.0, k = 0
                for i in traceRange { for q in delayRange where residuals[i * m + q].isFinite { sum += Double(residuals[i * m + q]); k += 1 } }
                if k > 0 { values[r][c] = sum / Double(k) / (sd > 0 ? sd : 1) * Double(k).squareRoot() }
            }
        }
        let rowLabels = (0..<rows).map { String(format: "%.0f", labels[$0 * n / rows]) }
        let columnLabels = (0..<columns).map { String(format: "%.0f", delays[$0 * m / columns]) }
        return SVGHeatMap(title: "Residuals of the global fit (bin mean x sqrt(points) / residual s.d.)", xLabel: "delay (fs)",
                          yLabel: pixels ? "pixel" : "wavelength (nm)", colorBarLabel: "residual (s.d.)",
                          columnLabels: columnLabels, rowLabels: rowLabels, values: values)
    }
}

extension Array where Element == Double {
    /// The element at `index`, or NaN past the end.
    subscript(safe index: Int) -> Double { index < count ? self[index] : .nan }
}
