import Acquisition
import FitCore
import Foundation
import TAMData

/// `--spline-coefficients`: the template of the spline models, from a file (docs/spline-models.md).
///
/// - `FILE.h5:/dataset`: an HDF5 dataset of the coefficients (float or integer), shaped as the
///   intervals followed by the orders: (nx, 4) for a 1D spline, (nx, ny, 4, 4) for 2D,
///   (nx, ny, nz, 4, 4, 4) for 3D; the orders may also come as one axis of 16 or 64.
/// - `FILE.toml`: a small TOML file naming raw float32 coefficients (little-endian, Gpufit's
///   layout, the order Gpufit's user_info carries them in, without the sizes) and their sizes:
///       coefficients = "psf.f32"      # relative to the TOML file's folder
///       intervals = [20, 20, 10]      # one number per dimension (1 to 3)
///       slice_height = 13             # optional, 3D: the rows of one z slice of a stacked ROI
enum SplineCoefficientFile {
    static func read(_ path: String) throws -> SplineTable {
        if let name = HDF5DatasetName(path) { return try readHDF5(name) }
        guard path.lowercased().hasSuffix(".toml") else {
            throw TAMDataError(path, "is neither FILE.h5:/dataset nor a .toml file naming raw float32 coefficients and their sizes (docs/spline-models.md)")
        }
        return try readTOML(path)
    }

    static func readHDF5(_ name: HDF5DatasetName) throws -> SplineTable {
        let file = try HDF5File.open(name.file)
        let dataset = try file.dataset(name.dataset)
        let shape = dataset.shape.dimensions
        let label = "\(name.file):\(name.dataset)"
        if case .other(let kind) = dataset.shape.kind {
            throw TAMDataError(label, "holds \(kind) values; spline coefficients are numbers (float or integer)")
        }
        return try table(label, shape: shape, values: try dataset.readAll())
    }

    /// The spline of a dataset shaped intervals + orders.
    static func table(_ label: String, shape: [Int], values: [Double]) throws -> SplineTable {
        let layouts: [(dimensions: Int, orders: [Int])] = [(1, [4]), (2, [4, 4]), (2, [16]), (3, [4, 4, 4]), (3, [64])]
        guard let layout = layouts.first(where: { shape.count == $0.dimensions + $0.orders.count && Array(shape.suffix($0.orders.count)) == $0.orders }) else {
            throw TAMDataError(label, "is shaped \(shape.map(String.init).joined(separator: " x ")); spline coefficients are shaped as the intervals and then the orders: (nx, 4), (nx, ny, 4, 4) or (nx, ny, nz, 4, 4, 4)")
        }
        do {
            return try SplineTable(dimensions: layout.dimensions, intervals: Array(shape.prefix(layout.dimensions)), coefficients: values)
        } catch let error as FitError {
            throw TAMDataError(label, "\(error)")
        }
    }

    static func readTOML(_ path: String) throws -> SplineTable {
        let config = try ConfigTable.load(path)
        guard let file = try config.text("coefficients") else {
            throw TAMDataError(path, "names no coefficients file: add coefficients = \"FILE.f32\" (raw float32, Gpufit's layout)")
        }
        guard let sizes = try config.numbers("intervals"), (1...3).contains(sizes.count),
              sizes.allSatisfy({ $0 >= 1 && $0 == $0.rounded() && $0 < 1e7 }) else {
            throw TAMDataError(path, "needs intervals = [nx], [nx, ny] or [nx, ny, nz]: the spline's intervals per axis, whole numbers of at least 1")
        }
        let sliceHeight = try config.integer("slice_height")
        try config.rejectUnknownKeys()
        let folder = (path as NSString).deletingLastPathComponent
        let raw = file.hasPrefix("/") ? file : (folder.isEmpty ? file : folder + "/" + file)
        guard let data = FileManager.default.contents(atPath: raw) else {
            throw TAMDataError(raw, "cannot be read (named by \(path)); check the path, relative to the TOML file's folder")
        }
        let intervals = sizes.map { Int($0) }
        let expected = intervals.reduce(1 << (2 * intervals.count), *)
        guard data.count == expected * 4 else {
            throw TAMDataError(raw, "holds \(data.count) bytes; \(intervals.map(String.init).joined(separator: " x ")) intervals of a \(intervals.count)D spline need \(expected) float32 coefficients (\(expected * 4) bytes)\(data.count % 4 == 0 ? "" : ", and its size is no whole number of float32 values")")
        }
        let values = data.withUnsafeBytes { bytes in
            (0..<expected).map { Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))) }
        }
        do {
            return try SplineTable(dimensions: intervals.count, intervals: intervals, coefficients: values, sliceHeight: sliceHeight)
        } catch let error as FitError {
            throw TAMDataError(raw, "\(error)")
        }
    }
}
