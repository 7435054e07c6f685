import FitCore
import TAMData

/// fits.h5, streamed: one column dataset per quantity, chunked and grown by each chunk of fits
/// (README "Output files"). Values are fits.csv's (lengths in the columns' units), written
/// bit for bit as float64; the metadata, state names and problem texts are attributes.
public final class HDF5FitSink: FitSink {
    let file: HDF5File
    let columns: FitColumns
    let parameters, errors, state, chi2, iterations, roi, masked, problem, index: HDF5File.RowWriter
    var delay: HDF5File.RowWriter?
    var fluence, wavelength, spot: HDF5File.RowWriter?
    var shape: [HDF5File.RowWriter] = []
    let shapeColumns: [String]

    /// `deflate`: the compression level (0–9), or nil for none (fastest).
    public init(outputs: OutputSet, columns: FitColumns, shapeCheck: Bool, deflate: Int? = nil) throws {
        let file = try HDF5File.create(outputs.path("fits.h5"))
        self.file = file
        self.columns = columns
        let p = columns.model.parameterCount
        let rows = { (name: String, width: Int, type: HDF5File.ElementType) throws -> HDF5File.RowWriter in
            try file.rowWriter(name, columns: width, type: type, chunkRows: 16_384, deflate: deflate)
        }
        index = try rows("index", 1, .int64)
        parameters = try rows("parameters", p, .float64)
        errors = try rows("standard_errors", p, .float64)
        state = try rows("state", 1, .int32)
        chi2 = try rows("chi2", 1, .float64)
        iterations = try rows("iterations", 1, .int32)
        roi = try rows("roi", 4, .int32)
        masked = try rows("masked_pixels", 1, .int32)
        problem = try rows("problem", 1, .int32)
        if columns.hasDelays { delay = try rows("delay_fs", 1, .float64) }
        if columns.isGrid {
            fluence = try rows("fluence", 1, .float64)
            wavelength = try rows("wavelength_nm", 1, .float64)
            spot = try rows("spot", 1, .int32)
        }
        try parameters.setAttribute("columns", .strings(columns.parameterColumns))
        try errors.setAttribute("columns", .strings(columns.parameterColumns.map { $0 + "_err" }))
        try state.setAttribute("names", .strings(FitState.allCases.map { "\($0.rawValue)=\($0.description)" }))
        try roi.setAttribute("columns", .strings(["x", "y", "width", "height"]))
        try problem.setAttribute("codes", .strings(FitProblemCode.allCases.map { "\($0.rawValue)=\($0.text)" }))
        let names = shapeCheck ? SpotShapeOutput.columns(pixelSize: columns.pixelSize, grid: false, hasDelays: false)
            .filter { $0 != "index" && $0 != "gaussian" } : []
        shapeColumns = names
        if shapeCheck {
            try file.createGroup("shape")
            // `fit`: the row of the top-level datasets the check belongs to.
            for name in ["fit"] + names + ["gaussian"] {
                shape.append(try rows("shape/" + name, 1, name == "fit" ? .int64 : (name == "gaussian" ? .uint8 : .float64)))
            }
        }
    }

    public func write(_ chunk: FitChunk, shape rows: [SpotShapeOutput.Row]) throws {
        let (values, errorValues) = columns.scaled(chunk)
        try index.append(chunk.frames.map { Int64($0) })
        try parameters.append(values)
        try errors.append(errorValues)
        try state.append(chunk.stateCodes)
        try chi2.append(chunk.chiSquares)
        try iterations.append(chunk.iterations)
        try roi.append(chunk.rois)
        try masked.append(chunk.maskedPixels)
        try problem.append(chunk.problemCodes)
        if let delay { try delay.append(chunk.delays ?? Array(repeating: .nan, count: chunk.count)) }
        if let fluence, let wavelength, let spot {
            try fluence.append(Array(repeating: chunk.series?.fluence ?? .nan, count: chunk.count))
            try wavelength.append(Array(repeating: chunk.series?.wavelengthNm ?? .nan, count: chunk.count))
            try spot.append(Array(repeating: Int32(chunk.series?.spot ?? -1), count: chunk.count))
        }
        if !shape.isEmpty && !rows.isEmpty {
            let area = (columns.pixelSize ?? 1) * (columns.pixelSize ?? 1)
            try shape[0].append(rows.map { Int64($0.fit) })
            let fields: [(SpotShape.Frame) -> Double] = [
                { $0.fittedSigma2 * area }, { $0.momentSigma2 * area }, { $0.momentSigma2Error * area }, { $0.modelMomentSigma2 * area },
                \.excessKurtosis, \.excessKurtosisError, \.modelExcessKurtosis, \.widthZ, \.kurtosisZ]
            for (k, field) in fields.enumerated() { try shape[k + 1].append(rows.map { field($0.check) }) }
            try shape[fields.count + 1].append(rows.map { UInt8($0.check.flagged ? 0 : 1) })
        }
        file.startWriteback()
    }

    /// Sets the run's metadata as root attributes (called before `finish`).
    public func setMetadata(_ attributes: [(String, HDF5File.AttributeValue)]) throws {
        for (name, value) in attributes { try file.setAttribute(name, value) }
    }

    public func finish() throws { try file.close() }
}
