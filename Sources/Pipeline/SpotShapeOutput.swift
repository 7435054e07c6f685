/// `shape.csv`, which `femtofit fit` writes beside fits.csv for 2D Gaussian models: per fitted
/// frame the Gaussian-ness check (`SpotShape`) next to the fitted sigma^2, in nm^2 when the pixel
/// size is known (else px^2). Columns: the series columns and `delay_fs` as in fits.csv, then
/// `fitted_sigma2`, `moment_sigma2`, `moment_sigma2_err`, `model_moment_sigma2` (each `_nm2` or
/// `_px2`), `excess_kurtosis`, `excess_kurtosis_err`, `model_excess_kurtosis`, `width_z`,
/// `kurtosis_z`, `gaussian` (`true`, or `false` for a flagged frame).
public enum SpotShapeOutput {
    public struct Row: Sendable {
        public var label: SeriesLabel?
        public var delayFs: Double?
        public var check: SpotShape.Frame
        /// The fit's row in the run's outputs (fits.h5 links its shape group by it).
        public var fit: Int
        public init(label: SeriesLabel?, delayFs: Double?, check: SpotShape.Frame, fit: Int = 0) {
            self.label = label; self.delayFs = delayFs; self.check = check; self.fit = fit
        }
    }

    /// The column names (README "Output files").
    public static func columns(pixelSize: Double?, grid: Bool, hasDelays: Bool) -> [String] {
        let unit = pixelSize == nil ? "_px2" : "_nm2"
        var columns = ["index"] + (grid ? ["fluence", "wavelength_nm", "spot"] : []) + (hasDelays ? ["delay_fs"] : [])
        columns += ["fitted_sigma2", "moment_sigma2", "moment_sigma2_err", "model_moment_sigma2"].map { $0 + unit }
        columns += ["excess_kurtosis", "excess_kurtosis_err", "model_excess_kurtosis", "width_z", "kurtosis_z", "gaussian"]
        return columns
    }

    public static func header(pixelSize: Double?, grid: Bool, hasDelays: Bool) -> String {
        columns(pixelSize: pixelSize, grid: grid, hasDelays: hasDelays).joined(separator: ",")
    }

    /// The rows' lines, each ending in a newline.
    public static func rows(_ rows: [Row], pixelSize: Double?, grid: Bool) -> String {
        let scale = (pixelSize ?? 1) * (pixelSize ?? 1)
        var text = ""
        for r in rows {
            let c = r.check
            var fields = ["\(c.frame)"]
            if grid, let l = r.label { fields += [CSVNumber.text(l.fluence), CSVNumber.text(l.wavelengthNm), "\(l.spot)"] }
            if let d = r.delayFs { fields.append(CSVNumber.text(d)) }
            fields += [c.fittedSigma2, c.momentSigma2, c.momentSigma2Error, c.modelMomentSigma2].map { CSVNumber.text($0 * scale) }
            fields += [c.excessKurtosis, c.excessKurtosisError, c.modelExcessKurtosis, c.widthZ, c.kurtosisZ].map(CSVNumber.text)
            fields.append(c.flagged ? "false" : "true")
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }

    /// The rows' lines as UTF-8 bytes (the streamed shape.csv), the same text as `rows`.
    public static func bytes(_ rows: ArraySlice<Row>, pixelSize: Double?, grid: Bool) -> [UInt8] {
        let scale = (pixelSize ?? 1) * (pixelSize ?? 1)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 200)
        for r in rows {
            let c = r.check
            CSVNumber.append(c.frame, to: &bytes)
            if grid, let l = r.label {
                bytes.append(0x2C); CSVNumber.append(l.fluence, single: false, to: &bytes)
                bytes.append(0x2C); CSVNumber.append(l.wavelengthNm, single: false, to: &bytes)
                bytes.append(0x2C); CSVNumber.append(l.spot, to: &bytes)
            }
            if let d = r.delayFs { bytes.append(0x2C); CSVNumber.append(d, single: false, to: &bytes) }
            for value in [c.fittedSigma2 * scale, c.momentSigma2 * scale, c.momentSigma2Error * scale, c.modelMomentSigma2 * scale,
                          c.excessKurtosis, c.excessKurtosisError, c.modelExcessKurtosis, c.widthZ, c.kurtosisZ] {
                bytes.append(0x2C); CSVNumber.append(value, single: false, to: &bytes)
            }
            bytes.append(contentsOf: c.flagged ? Array(",false\n".utf8) : Array(",true\n".utf8))
        }
        return bytes
    }

    /// A whole shape.csv for `rows`.
    public static func csv(_ rows: [Row], pixelSize: Double?) -> String {
        let grid = Set(rows.compactMap(\.label)).count > 1
        return header(pixelSize: pixelSize, grid: grid, hasDelays: rows.contains { $0.delayFs != nil }) + "\n"
            + Self.rows(rows, pixelSize: pixelSize, grid: grid)
    }
}
