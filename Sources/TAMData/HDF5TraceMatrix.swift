/// A matrix of kinetics traces in HDF5, read a block of traces at a time: a 2-D dataset of
/// wavelengths x delays (or delays x wavelengths) with its axes as 1-D datasets beside it,
/// `delay_fs` (rising) and `wavelength_nm`, in the dataset's group or the file's root. Named
/// `FILE.h5:/path/to/dataset`; a bare `FILE.h5` takes the first of `defaultNames` it holds.
public final class HDF5TraceMatrix: TraceSource {
    public static let defaultNames = ["/signal", "/data", "/delta_a", "/dA", "/values"]
    public let path: String
    public let delays: [Double]
    public let wavelengths: [Double]
    /// Whether the dataset stores delays first (rows are delays): read whole and transposed once.
    public let delaysFirst: Bool
    let file: HDF5File
    let dataset: HDF5File.Dataset
    var transposed: [Float]?

    public var traceCount: Int { wavelengths.count }

    /// Opens `name` (`FILE.h5` or `FILE.h5:/dataset`); every problem names the file and the dataset.
    public init(_ name: String) throws {
        let parts = HDF5DatasetName(name)
        let path = parts?.file ?? name
        let file = try HDF5File.open(path)
        var datasetName = parts?.dataset
        if datasetName == nil {
            datasetName = Self.defaultNames.first { file.exists($0) }
            guard datasetName != nil else {
                throw TAMDataError(path, "holds none of the datasets \(Self.defaultNames.joined(separator: ", ")); name the traces' dataset as \(path):/path/to/dataset")
            }
        }
        let dataset = try file.dataset(datasetName!)
        // The dataset's group ("" for the root).
        let group = datasetName!.split(separator: "/").dropLast().map { "/" + $0 }.joined()
        func axis(_ axisName: String) throws -> [Double] {
            for candidate in Set([group + "/" + axisName, "/" + axisName]).sorted(by: { $0.count > $1.count }) where file.exists(candidate) {
                let values = try file.dataset(candidate)
                guard values.shape.dimensions.count == 1 else {
                    throw TAMDataError(path, "\(candidate) has \(values.shape.dimensions.count) dimensions; an axis is 1-D")
                }
                return try values.readAll()
            }
            throw TAMDataError(path, "has no \(axisName) beside \(datasetName!); write the axis as a 1-D dataset \(group)/\(axisName)")
        }
        let delays = try axis("delay_fs")
        let wavelengths = try axis("wavelength_nm")
        let dims = dataset.shape.dimensions
        guard dims.count == 2 else {
            throw TAMDataError(path, "\(datasetName!) has \(dims.count) dimensions; a trace matrix is 2-D (wavelengths x delays)")
        }
        let delaysFirst: Bool
        if dims == [wavelengths.count, delays.count] {
            delaysFirst = false
        } else if dims == [delays.count, wavelengths.count] {
            delaysFirst = true
        } else {
            throw TAMDataError(path, "\(datasetName!) is \(dims[0]) x \(dims[1]), but the axes hold \(wavelengths.count) wavelengths and \(delays.count) delays; the matrix is wavelengths x delays")
        }
        guard delays.count >= 2, delays.allSatisfy(\.isFinite), zip(delays, delays.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TAMDataError(path, "delay_fs must hold at least 2 finite delays rising strictly")
        }
        guard !wavelengths.isEmpty, wavelengths.allSatisfy(\.isFinite) else {
            throw TAMDataError(path, "wavelength_nm must hold at least one finite wavelength")
        }
        self.path = path; self.file = file; self.dataset = dataset
        self.delays = delays; self.wavelengths = wavelengths; self.delaysFirst = delaysFirst
    }

    public func labels(_ range: Range<Int>) -> [Double] { Array(wavelengths[range]) }

    public func read(_ range: Range<Int>) throws -> [Float] {
        let m = delays.count
        if !delaysFirst {
            var values = [Float](repeating: .nan, count: range.count * m)
            try values.withUnsafeMutableBufferPointer { try dataset.readRows(range, into: $0, as: .float32) }
            return values
        }
        if transposed == nil {
            let n = wavelengths.count
            var stored = [Float](repeating: .nan, count: n * m)
            try stored.withUnsafeMutableBufferPointer { try dataset.readRows(0..<m, into: $0, as: .float32) }
            var traces = [Float](repeating: .nan, count: n * m)
            for d in 0..<m { for w in 0..<n { traces[w * m + d] = stored[d * n + w] } }
            transposed = traces
        }
        return Array(transposed![range.lowerBound * m ..< range.upperBound * m])
    }
}
