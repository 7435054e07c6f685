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
        let p = model.parameterCount
        var values = chunk.parameters, errors = chunk.standardErrors
        for i in 0..<chunk.count {
            for j in model.lengthParameters {
                values[i * p + j] *= pixelSize
                errors[i * p + j] *= pixelSize
            }
        }
        return (values, errors)
    }
}

/// Numbers as fits.csv and shape.csv write them: the shortest text that reads back as the same
/// value, `nan`, `inf` and `-inf` for the others.
public enum CSVNumber {
    public static func text(_ v: Double) -> String { v.isNaN ? "nan" : (v.isInfinite ? (v > 0 ? "inf" : "-inf") : "\(v)") }

    /// Appends `v` to `bytes`; `single`: the value came from a float32 fit, and is written as the
    /// shortest float32 text (a float32 fit holds no more digits; float64 text would add noise).
    @inline(__always)
    public static func append(_ v: Double, single: Bool, to bytes: inout [UInt8]) {
        if v.isNaN { bytes.append(contentsOf: [0x6E, 0x61, 0x6E]); return }
        if v.isInfinite { bytes.append(contentsOf: v > 0 ? [0x69, 0x6E, 0x66] : [0x2D, 0x69, 0x6E, 0x66]); return }
        if single {
            let f = Float(v)
            if f.isFinite { bytes.append(contentsOf: f.description.utf8); return }
        }
        bytes.append(contentsOf: v.description.utf8)
    }

    /// Appends a whole number in decimal.
    @inline(__always)
    public static func append(_ v: Int, to bytes: inout [UInt8]) {
        if v < 0 { bytes.append(0x2D) }
        var magnitude = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for k in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[k]) }
        }
    }
}
