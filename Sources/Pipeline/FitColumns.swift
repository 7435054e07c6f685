import FitCore

/// The columns of fits.csv and fits.h5 for one run (README "Output files"): index, the series
/// columns for a dataset grid, delay_fs where delays are known, the parameters and their errors
/// (lengths in nm with a pixel size, `_nm`, else in pixels, `_px`), state, chi2, iterations.
public struct FitColumns: Sendable, Equatable {
    public var model: ModelID
    /// nm per pixel, or nil to report pixels.
    public var pixelSize: Double?
    public var hasDelays: Bool
    /// More than one series: the fluence, wavelength_nm and spot columns are written.
    public var isGrid: Bool

    public init(model: ModelID, pixelSize: Double?, hasDelays: Bool, isGrid: Bool) {
        self.model = model; self.pixelSize = pixelSize; self.hasDelays = hasDelays; self.isGrid = isGrid
    }

    /// Parameter column names with their unit suffixes, in model order.
    public var parameterColumns: [String] {
        let lengths = Set(model.lengthParameters)
        let suffix = pixelSize == nil ? "_px" : "_nm"
        return model.parameterNames.enumerated().map { lengths.contains($0.offset) ? $0.element + suffix : $0.element }
    }

    public var names: [String] {
        ["index"] + (isGrid ? ["fluence", "wavelength_nm", "spot"] : []) + (hasDelays ? ["delay_fs"] : [])
            + parameterColumns + parameterColumns.map { $0 + "_err" } + ["state", "chi2", "iterations"]
    }

    /// Whether parameter `j` is a length, scaled by the pixel size when written.
    public func scale(of j: Int) -> Double {
        guard let pixelSize, model.lengthParameters.contains(j) else { return 1 }
        return pixelSize
    }

    /// The chunk's parameters and errors in output units (lengths times the pixel size).
    public func scaled(_ chunk: FitChunk) -> (values: [Double], errors: [Double]) {
        guard let pixelSize, !model.lengthParameters.isEmpty else { return (chunk.parameters, chunk.standardErrors) }
        let p = model.parameterCount, lengths = model.lengthParameters
        var values = chunk.parameters, errors = chunk.standardErrors
        for i in 0..<chunk.count {
            for j in lengths {
                values[i * p + j] *= pixelSize
                errors[i * p + j] *= pixelSize
            }
        }
        return (values, errors)
    }
}
