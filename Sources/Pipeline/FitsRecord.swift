import FitCore
import Foundation
import TAMData

/// A run's settings and provenance, as fits.json's `metadata` and fits.h5's root attributes.
public struct FitsMetadata: Sendable, Codable {
    public var femtofitVersion = FemtofitVersion.current
    public var input: String
    public var model: String
    public var estimator: String
    public var backend: String
    public var device: String
    public var precision: String
    public var tolerance: Double
    public var maxIterations: Int
    /// `curvature` or `robust` (sandwich) standard errors.
    public var errors: String
    public var roi: String
    public var pixelSizeNm: Double?
    /// Seconds spent cutting ROIs and fitting (the engine), not reading or writing.
    public var fitTimeSeconds: Double
    public var frames: Int
    /// For a dataset: what preprocessing did (background, sign, outliers, saturation, weights).
    public var preprocessing: [String]?

    /// The root attributes of fits.h5: every metadata key, the columns and the length unit.
    func attributes(columns: FitColumns) -> [(String, HDF5File.AttributeValue)] {
        var list: [(String, HDF5File.AttributeValue)] = [
            ("schema", .string(FitsRecord.h5Schema)), ("femtofit_version", .string(femtofitVersion)), ("input", .string(input)),
            ("model", .string(model)), ("estimator", .string(estimator)), ("backend", .string(backend)), ("device", .string(device)),
            ("precision", .string(precision)), ("tolerance", .double(tolerance)), ("max_iterations", .int(maxIterations)),
            ("errors", .string(errors)), ("roi", .string(roi)), ("fit_time_seconds", .double(fitTimeSeconds)), ("frames", .int(frames)),
            ("parameter_names", .strings(columns.model.parameterNames)), ("columns", .strings(columns.names)),
            ("length_unit", .string(columns.pixelSize == nil ? "px" : "nm")),
        ]
        if let pixelSizeNm { list.append(("pixel_size_nm", .double(pixelSizeNm))) }
        if let preprocessing { list.append(("preprocessing", .strings(preprocessing))) }
        return list
    }
}

/// fits.json (schema `femtofit-fits/2`), written last as the run's commit record: the run, its
/// metadata, the columns, counts per state, the first 1 000 fits that are invalid input with their
/// problems (and how many more), a dataset's series with their time zero, and the files that belong to the run with their sizes. The fits
/// themselves are in fits.h5 (and fits.csv).
struct FitsRecord: Encodable {
    static let schemaName = "femtofit-fits/2"
    static let h5Schema = "femtofit-fits-h5/1"

    struct Run: Encodable {
        var id = UUID().uuidString
        var finished = ISO8601DateFormatter().string(from: Date())
        var fits: Int
        var wallSeconds: Double
    }
    struct Invalid: Encodable {
        var fit: Int
        var index: Int
        var fluence: Double?
        var wavelengthNm: Double?
        var spot: Int?
        var problem: String
    }
    struct File: Encodable {
        var name: String
        var bytes: Int
    }
    struct Shape: Encodable {
        var checked: Int
        var flagged: Int
    }

    var schema = schemaName
    var run: Run
    var metadata: FitsMetadata
    var columns: [String]
    var states: [String: Int]
    var maskedFits: Int
    var invalid: [Invalid]
    var invalidMore: Int
    var shape: Shape
    /// A dataset's series (time zero, delay shift); absent for a stack or raw ROIs.
    var series: [SeriesRecord]?
    var files: [File]

    init(metadata: FitsMetadata, columns: [String], summary: FitRun.Summary, files: [(name: String, bytes: Int)]) {
        run = Run(fits: summary.fits, wallSeconds: summary.wallSeconds)
        self.metadata = metadata
        self.columns = columns
        states = Dictionary(uniqueKeysWithValues: FitState.allCases.map { ($0.description, summary.states[$0] ?? 0) })
        maskedFits = summary.maskedFits
        invalid = summary.invalid.map {
            Invalid(fit: $0.fit, index: $0.index, fluence: $0.series?.fluence, wavelengthNm: $0.series?.wavelengthNm,
                    spot: $0.series?.spot, problem: $0.problem)
        }
        invalidMore = summary.invalidCount - summary.invalid.count
        shape = Shape(checked: summary.shapeChecked, flagged: summary.shapeFlagged)
        series = summary.series.isEmpty ? nil : summary.series
        self.files = files.filter { $0.name != "fits.json" }.map { File(name: $0.name, bytes: $0.bytes) }
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
