import FitCore
import Foundation

/// The two files `femtofit fit` writes (README "Output files"): `fits.csv`, one row per frame or
/// ROI, and `fits.json`, the same numbers plus settings, backend, device, fit time and version.
/// Lengths are in nm (suffix `_nm`) when a pixel size is given, in pixels (`_px`) otherwise.
/// Fits of a dataset grid carry their series (`SeriesLabel`): with more than one series, fits.csv
/// has the columns fluence, wavelength_nm and spot after the index.
public struct FitOutput: Sendable {
    public var model: ModelID
    public var results: [StackFitter.FrameResult]
    /// Delays in fs by frame index (within a series).
    public var delays: [Double]?
    /// The series of each result, for fits of a dataset (nil: one stack).
    public var series: [SeriesLabel]?
    /// The delay of each result, where series have delays of their own (time zero found per
    /// series); else `delays` by frame.
    public var resultDelays: [Double]?

    /// The delay of result `number`.
    func delay(_ number: Int) -> Double? { resultDelays?[number] ?? delays?[results[number].frame] }
    /// nm per pixel, or nil to report pixels.
    public var pixelSize: Double?
    public var metadata: Metadata

    public struct Metadata: Sendable, Codable {
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
        public var fitTimeSeconds: Double
        public var frames: Int
        /// For a dataset: what preprocessing did (background, sign, outliers, saturation, weights).
        public var preprocessing: [String]?

        public init(input: String, model: String, estimator: String, backend: String, device: String, precision: String,
                    tolerance: Double, maxIterations: Int, errors: String = "curvature", roi: String, pixelSizeNm: Double?,
                    fitTimeSeconds: Double, frames: Int, preprocessing: [String]? = nil) {
            self.errors = errors
            self.preprocessing = preprocessing
            self.input = input; self.model = model; self.estimator = estimator; self.backend = backend; self.device = device
            self.precision = precision; self.tolerance = tolerance; self.maxIterations = maxIterations; self.roi = roi
            self.pixelSizeNm = pixelSizeNm; self.fitTimeSeconds = fitTimeSeconds; self.frames = frames
        }
    }

    public init(model: ModelID, results: [StackFitter.FrameResult], delays: [Double]?, pixelSize: Double?, metadata: Metadata,
                series: [SeriesLabel]? = nil) {
        precondition(series == nil || series!.count == results.count, "one series label per result")
        self.model = model; self.results = results; self.delays = delays; self.pixelSize = pixelSize; self.metadata = metadata
        self.series = series
    }

    /// Where a fit sits in a dataset's grid: `fluence` is the series' <N_abs> where the dataset
    /// gives it, else its fluence index; `spot` is the spot index.
    public struct SeriesLabel: Sendable, Hashable, Codable {
        public var fluence: Double
        public var wavelengthNm: Double
        public var spot: Int
        public init(fluence: Double, wavelengthNm: Double, spot: Int) { self.fluence = fluence; self.wavelengthNm = wavelengthNm; self.spot = spot }
    }

    /// Whether the fits span more than one series, and so need the axes columns.
    public var isGrid: Bool { series.map { Set($0).count > 1 } ?? false }

    /// Parameter column names with their unit suffixes, in model order.
    public var parameterColumns: [String] {
        let lengths = Set(model.lengthParameters)
        let suffix = pixelSize == nil ? "_px" : "_nm"
        return model.parameterNames.enumerated().map { lengths.contains($0.offset) ? $0.element + suffix : $0.element }
    }

    public var columns: [String] {
        ["index"] + (isGrid ? ["fluence", "wavelength_nm", "spot"] : []) + (delays == nil && resultDelays == nil ? [] : ["delay_fs"]) + parameterColumns + parameterColumns.map { $0 + "_err" }
            + ["state", "chi2", "iterations"]
    }

    /// A frame's parameters and errors in output units.
    public func scaled(_ result: StackFitter.FrameResult) -> (values: [Double], errors: [Double]) {
        let scale = pixelSize ?? 1
        return (model.scalingLengths(result.parameters, by: scale), model.scalingLengths(result.standardErrors, by: scale))
    }

    static func number(_ v: Double) -> String { v.isNaN ? "nan" : (v.isInfinite ? (v > 0 ? "inf" : "-inf") : "\(v)") }

    public func csv() -> String {
        var text = columns.joined(separator: ",") + "\n"
        for (number, r) in results.enumerated() {
            let (values, errors) = scaled(r)
            var row = ["\(r.frame)"]
            if isGrid, let label = series?[number] {
                row += [Self.number(label.fluence), Self.number(label.wavelengthNm), "\(label.spot)"]
            }
            if let delay = delay(number) { row.append(Self.number(delay)) }
            row += values.map(Self.number) + errors.map(Self.number)
            row += [r.state.description, Self.number(r.chiSquare), "\(r.iterations)"]
            text += row.joined(separator: ",") + "\n"
        }
        return text
    }

    public func json() throws -> Data {
        struct Row: Encodable {
            var index: Int
            var fluence: Double?
            var wavelengthNm: Double?
            var spot: Int?
            var delayFs: Double?
            var parameters: [String: Double?]
            var errors: [String: Double?]
            var state: String
            var chi2: Double?
            var iterations: Int
            var roi: [String: Int]
            var maskedPixels: Int
            var problem: String?
        }
        struct Document: Encodable {
            var metadata: Metadata
            var columns: [String]
            var fits: [Row]
        }
        let names = parameterColumns
        func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }
        let rows = results.enumerated().map { number, r -> Row in
            let (values, errors) = scaled(r)
            let label = series?[number]
            return Row(index: r.frame, fluence: label?.fluence, wavelengthNm: label?.wavelengthNm, spot: label?.spot, delayFs: delay(number),
                       parameters: Dictionary(uniqueKeysWithValues: zip(names, values.map(finite))),
                       errors: Dictionary(uniqueKeysWithValues: zip(names, errors.map(finite))),
                       state: r.state.description, chi2: finite(r.chiSquare), iterations: r.iterations,
                       roi: ["x": r.roi.x, "y": r.roi.y, "width": r.roi.width, "height": r.roi.height],
                       maskedPixels: r.maskedPixels, problem: r.problem)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(Document(metadata: metadata, columns: columns, fits: rows))
    }

    /// Writes fits.csv and fits.json into `folder` (created if missing), each atomically.
    public func write(to folder: String) throws -> (csv: String, json: String) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw TAMDataError(folder, "cannot create the output folder (\(error.localizedDescription))")
        }
        let csvPath = folder + "/fits.csv", jsonPath = folder + "/fits.json"
        try AtomicFile.write(csv(), to: csvPath)
        try AtomicFile.write(try json(), to: jsonPath)
        return (csvPath, jsonPath)
    }
}
