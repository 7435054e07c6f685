/// `shape.csv`, which `femtofit fit` writes beside fits.csv for 2D Gaussian models: per fitted
/// frame the Gaussian-ness check (`SpotShape`) next to the fitted sigma^2, in nm^2 when the pixel
/// size is known (else px^2). Columns: the series columns and `delay_fs` as in fits.csv, then
/// `fitted_sigma2`, `moment_sigma2`, `moment_sigma2_err`, `model_moment_sigma2` (each `_nm2` or
/// `_px2`), `excess_kurtosis`, `excess_kurtosis_err`, `model_excess_kurtosis`, `width_z`,
/// `kurtosis_z`, `gaussian` (`true`, or `false` for a flagged frame).
public enum SpotShapeOutput {
    public struct Row: Sendable {
        public var label: FitOutput.SeriesLabel?
        public var delayFs: Double?
        public var check: SpotShape.Frame
        public init(label: FitOutput.SeriesLabel?, delayFs: Double?, check: SpotShape.Frame) {
            self.label = label; self.delayFs = delayFs; self.check = check
        }
    }

    public static func csv(_ rows: [Row], pixelSize: Double?) -> String {
        let grid = Set(rows.compactMap(\.label)).count > 1
        let unit = pixelSize == nil ? "_px2" : "_nm2", scale = (pixelSize ?? 1) * (pixelSize ?? 1)
        var columns = ["index"] + (grid ? ["fluence", "wavelength_nm", "spot"] : []) + (rows.contains { $0.delayFs != nil } ? ["delay_fs"] : [])
        columns += ["fitted_sigma2", "moment_sigma2", "moment_sigma2_err", "model_moment_sigma2"].map { $0 + unit }
        columns += ["excess_kurtosis", "excess_kurtosis_err", "model_excess_kurtosis", "width_z", "kurtosis_z", "gaussian"]
        var text = columns.joined(separator: ",") + "\n"
        for r in rows {
            let c = r.check
            var fields = ["\(c.frame)"]
            if grid, let l = r.label { fields += [FitOutput.number(l.fluence), FitOutput.number(l.wavelengthNm), "\(l.spot)"] }
            if let d = r.delayFs { fields.append(FitOutput.number(d)) }
            fields += [c.fittedSigma2, c.momentSigma2, c.momentSigma2Error, c.modelMomentSigma2].map { FitOutput.number($0 * scale) }
            fields += [c.excessKurtosis, c.excessKurtosisError, c.modelExcessKurtosis, c.widthZ, c.kurtosisZ].map(FitOutput.number)
            fields.append(c.flagged ? "false" : "true")
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }
}
