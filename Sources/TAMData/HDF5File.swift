import CHDF5
import Foundation

/// The one thin layer over HDF5's C library (Debian's libhdf5): files, groups, datasets that grow
/// by rows while a run streams, hyperslab reads converted to float32 or float64, and attributes.
/// A failure to read is a `TAMDataError` (bad input), a failure to write an `OutputError`, each naming the file and the dataset; HDF5's own error printing
/// is silenced.
public final class HDF5File {
    public let path: String
    let id: hid_t
    private var closed = false

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    /// Creates (or replaces) `path` for writing.
    public static func create(_ path: String) throws -> HDF5File {
        femtofit_h5_quiet()
        let id = H5Fcreate(path, femtofit_h5f_acc_trunc(), h5Default, h5Default)
        guard id >= 0 else { throw OutputError(path, "cannot create the HDF5 file; check that the folder exists, has free space and is writable") }
        return HDF5File(path: path, id: id)
    }

    /// Opens `path` for reading, with a clear error for a missing, non-HDF5 or damaged file.
    public static func open(_ path: String) throws -> HDF5File {
        femtofit_h5_quiet()
        guard FileManager.default.fileExists(atPath: path) else { throw TAMDataError(path, "no such file; check the path") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw TAMDataError(path, "cannot read the file; check its permissions") }
        let signature = H5Fis_hdf5(path)
        guard signature > 0 else {
            throw TAMDataError(path, "is not an HDF5 file (no HDF5 signature), or is truncated before its superblock")
        }
        let id = H5Fopen(path, femtofit_h5f_acc_rdonly(), h5Default)
        guard id >= 0 else {
            throw TAMDataError(path, "cannot be opened as HDF5: the file is damaged or truncated (was it copied whole?)")
        }
        return HDF5File(path: path, id: id)
    }

    /// Flushes and closes; further use is an error. Throws when the data cannot reach the disk.
    public func close() throws {
        guard !closed else { return }
        closed = true
        let flushed = H5Fflush(id, H5F_SCOPE_GLOBAL)
        let status = H5Fclose(id)
        if flushed < 0 || status < 0 { throw OutputError(path, "cannot finish writing the HDF5 file; check free disk space") }
    }

    deinit { if !closed { H5Fclose(id) } }

    /// Starts writing the file's data so far to the disk, without waiting (its flush at the end
    /// then finds little left).
    public func startWriteback() {
        var handle: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(id, h5Default, &handle) >= 0, let handle else { return }
        _ = posix_fadvise(handle.load(as: Int32.self), 0, 0, POSIX_FADV_DONTNEED)
    }

    public func createGroup(_ name: String) throws {
        let group = H5Gcreate2(id, name, h5Default, h5Default, h5Default)
        guard group >= 0 else { throw OutputError(path, "cannot create the group \(name)") }
        H5Gclose(group)
    }

    /// Whether an object (group or dataset) named `name` exists.
    public func exists(_ name: String) -> Bool {
        // Each link of a path must exist before the next is asked about.
        var prefix = ""
        for part in name.split(separator: "/") {
            prefix += "/" + part
            guard H5Lexists(id, prefix, h5Default) > 0 else { return false }
        }
        return !prefix.isEmpty
    }

    // MARK: element types

    /// The element types femtofit writes.
    public enum ElementType: Sendable {
        case float64, float32, int32, int64, uint8, int16, uint16
        var native: hid_t {
            switch self {
            case .int16: return femtofit_h5t_int16()
            case .uint16: return femtofit_h5t_uint16()
            case .float64: return femtofit_h5t_double()
            case .float32: return femtofit_h5t_float()
            case .int32: return femtofit_h5t_int32()
            case .int64: return femtofit_h5t_int64()
            case .uint8: return femtofit_h5t_uint8()
            }
        }
    }

    // MARK: writing

    /// A dataset of rows that grows as a run streams: `columns` values a row (1: a 1-D dataset),
    /// chunked by `chunkRows`, deflate-compressed at `deflate` (0–9) when given.
    public final class RowWriter {
        public let name: String
        public let columns: Int
        let file: HDF5File
        let dataset: hid_t
        let type: ElementType
        public private(set) var rows = 0

        init(file: HDF5File, name: String, columns: Int, type: ElementType, chunkRows: Int, deflate: Int?) throws {
            self.file = file; self.name = name; self.columns = columns; self.type = type
            let rank: Int32 = columns == 1 ? 1 : 2
            var current: [hsize_t] = columns == 1 ? [0] : [0, hsize_t(columns)]
            var maximum: [hsize_t] = columns == 1 ? [femtofit_h5s_unlimited()] : [femtofit_h5s_unlimited(), hsize_t(columns)]
            var chunk: [hsize_t] = columns == 1 ? [hsize_t(max(1, chunkRows))] : [hsize_t(max(1, chunkRows)), hsize_t(columns)]
            let space = H5Screate_simple(rank, &current, &maximum)
            let properties = H5Pcreate(femtofit_h5p_dataset_create())
            H5Pset_chunk(properties, rank, &chunk)
            if let deflate { H5Pset_deflate(properties, UInt32(min(max(deflate, 0), 9))) }
            dataset = H5Dcreate2(file.id, name, type.native, space, h5Default, properties, h5Default)
            H5Pclose(properties)
            H5Sclose(space)
            guard dataset >= 0 else { throw OutputError(file.path, "cannot create the dataset \(name)") }
        }

        deinit { H5Dclose(dataset) }

        /// Appends `values.count / columns` rows.
        public func append<T>(_ values: UnsafeBufferPointer<T>) throws {
            let count = values.count / columns
            guard count > 0, let base = values.baseAddress else { return }
            precondition(count * columns == values.count, "whole rows")
            var extent: [hsize_t] = columns == 1 ? [hsize_t(rows + count)] : [hsize_t(rows + count), hsize_t(columns)]
            var start: [hsize_t] = columns == 1 ? [hsize_t(rows)] : [hsize_t(rows), 0]
            var size: [hsize_t] = columns == 1 ? [hsize_t(count)] : [hsize_t(count), hsize_t(columns)]
            let rank: Int32 = columns == 1 ? 1 : 2
            guard H5Dset_extent(dataset, &extent) >= 0 else { throw writeError() }
            let fileSpace = H5Dget_space(dataset)
            defer { H5Sclose(fileSpace) }
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &size, nil)
            let memorySpace = H5Screate_simple(rank, &size, nil)
            defer { H5Sclose(memorySpace) }
            guard H5Dwrite(dataset, type.native, memorySpace, fileSpace, h5Default, base) >= 0 else { throw writeError() }
            rows += count
        }

        public func append<T>(_ values: [T]) throws { try values.withUnsafeBufferPointer { try append($0) } }

        public func setAttribute(_ name: String, _ value: AttributeValue) throws {
            try HDF5File.writeAttribute(on: dataset, name: name, value: value, file: file.path, owner: self.name)
        }

        func writeError() -> OutputError {
            OutputError(file.path, "cannot write rows \(rows)... of the dataset \(name); check free disk space")
        }
    }

    /// Writes a whole dataset of any rank at once (`values` row-major, of `type`'s size).
    public func write<T>(_ name: String, dimensions: [Int], values: [T], as type: ElementType) throws {
        precondition(dimensions.reduce(1, *) == values.count, "one value per element")
        var dims = dimensions.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), &dims, nil)
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(id, name, type.native, space, h5Default, h5Default, h5Default)
        guard dataset >= 0 else { throw OutputError(path, "cannot create the dataset \(name)") }
        defer { H5Dclose(dataset) }
        let status = values.withUnsafeBufferPointer { H5Dwrite(dataset, type.native, h5All, h5All, h5Default, $0.baseAddress) }
        guard status >= 0 else { throw OutputError(path, "cannot write the dataset \(name); check free disk space") }
    }

    public func rowWriter(_ name: String, columns: Int = 1, type: ElementType, chunkRows: Int = 65_536, deflate: Int? = nil) throws -> RowWriter {
        try RowWriter(file: self, name: name, columns: columns, type: type, chunkRows: chunkRows, deflate: deflate)
    }

    /// An attribute's value: one string, number or integer, or a list of them.
    public enum AttributeValue: Sendable, Equatable {
        case string(String)
        case strings([String])
        case double(Double)
        case doubles([Double])
        case int(Int)
    }

    /// Sets an attribute on the file's root group, or on the group or dataset `object`.
    public func setAttribute(_ name: String, _ value: AttributeValue, on object: String = "/") throws {
        let target = H5Oopen(id, object, h5Default)
        guard target >= 0 else { throw OutputError(path, "cannot open \(object) to set its attribute \(name)") }
        defer { H5Oclose(target) }
        try Self.writeAttribute(on: target, name: name, value: value, file: path, owner: object)
    }

    static func writeAttribute(on target: hid_t, name: String, value: AttributeValue, file: String, owner: String) throws {
        func fail() -> OutputError { OutputError(file, "cannot write the attribute \(name) of \(owner)") }
        func write(type: hid_t, count: Int?, _ body: (hid_t) -> herr_t) throws {
            var dims = [hsize_t(count ?? 1)]
            let space = count == nil ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
            defer { H5Sclose(space) }
            if H5Aexists(target, name) > 0 { H5Adelete(target, name) }
            let attribute = H5Acreate2(target, name, type, space, h5Default, h5Default)
            guard attribute >= 0 else { throw fail() }
            defer { H5Aclose(attribute) }
            guard body(attribute) >= 0 else { throw fail() }
        }
        switch value {
        case .double(let v):
            var v = v
            try write(type: femtofit_h5t_double(), count: nil) { H5Awrite($0, femtofit_h5t_double(), &v) }
        case .doubles(let values):
            try write(type: femtofit_h5t_double(), count: values.count) { a in values.withUnsafeBufferPointer { H5Awrite(a, femtofit_h5t_double(), $0.baseAddress) } }
        case .int(let v):
            var v = Int64(v)
            try write(type: femtofit_h5t_int64(), count: nil) { H5Awrite($0, femtofit_h5t_int64(), &v) }
        case .string(let text):
            try writeStrings([text], scalar: true, write: write)
        case .strings(let texts):
            try writeStrings(texts, scalar: false, write: write)
        }
    }

    /// Variable-length UTF-8 strings, which h5py reads as `str` and MATLAB's h5readatt as text.
    private static func writeStrings(_ texts: [String], scalar: Bool, write: (hid_t, Int?, (hid_t) -> herr_t) throws -> Void) throws {
        let type = H5Tcopy(femtofit_h5t_c_string())
        defer { H5Tclose(type) }
        H5Tset_size(type, femtofit_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        var pointers: [UnsafeMutablePointer<CChar>?] = texts.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try write(type, scalar ? nil : texts.count) { attribute in
            pointers.withUnsafeMutableBufferPointer { H5Awrite(attribute, type, $0.baseAddress) }
        }
    }

    // MARK: reading

    /// What a dataset holds: its dimensions and the class of its elements.
    public struct DatasetShape: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case integer, float, other(String) }
        public var dimensions: [Int]
        public var kind: Kind
        public var elementBytes: Int
    }

    /// A dataset open for reading.
    public final class Dataset {
        public let name: String
        public let shape: DatasetShape
        let file: HDF5File
        let id: hid_t

        init(file: HDF5File, name: String) throws {
            self.file = file
            self.name = name
            guard file.exists(name) else {
                throw TAMDataError(file.path, "has no dataset \(name); list its contents with `h5ls -r \(file.path)`")
            }
            id = H5Dopen2(file.id, name, h5Default)
            guard id >= 0 else { throw TAMDataError(file.path, "\(name) is not a dataset (a group?), or cannot be opened") }
            let space = H5Dget_space(id)
            let rank = Int(H5Sget_simple_extent_ndims(space))
            var dims = [hsize_t](repeating: 0, count: max(rank, 0))
            if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
            H5Sclose(space)
            let type = H5Dget_type(id)
            defer { H5Tclose(type) }
            let kind: DatasetShape.Kind
            switch H5Tget_class(type) {
            case H5T_INTEGER: kind = .integer
            case H5T_FLOAT: kind = .float
            case H5T_STRING: kind = .other("strings")
            case H5T_COMPOUND: kind = .other("a compound type (complex numbers or records)")
            case H5T_ARRAY: kind = .other("arrays")
            default: kind = .other("a type that is not a number")
            }
            shape = DatasetShape(dimensions: dims.map { Int($0) }, kind: kind, elementBytes: Int(H5Tget_size(type)))
        }

        deinit { H5Dclose(id) }

        /// Rows `range` along the first dimension (every other dimension whole), converted to
        /// `T` (Float or Double by HDF5's conversion), into `buffer`.
        public func readRows<T>(_ range: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>, as type: ElementType) throws {
            if case .other(let what) = shape.kind {
                throw TAMDataError(file.path, "\(name) holds \(what); femtofit reads integer or floating-point numbers")
            }
            try read(range, buffer, type)
        }

        private func read<T>(_ range: Range<Int>, _ buffer: UnsafeMutableBufferPointer<T>, _ type: ElementType) throws {
            let rank = shape.dimensions.count
            guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape.dimensions[0] else {
                throw TAMDataError(file.path, "\(name): rows \(range) are outside its \(shape.dimensions.first ?? 0) rows")
            }
            let rowSize = shape.dimensions.dropFirst().reduce(1, *)
            precondition(buffer.count >= range.count * rowSize, "the buffer holds the rows")
            guard !range.isEmpty else { return }
            var start = [hsize_t](repeating: 0, count: rank), size = shape.dimensions.map { hsize_t($0) }
            start[0] = hsize_t(range.lowerBound); size[0] = hsize_t(range.count)
            let fileSpace = H5Dget_space(id)
            defer { H5Sclose(fileSpace) }
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &size, nil)
            let memorySpace = H5Screate_simple(Int32(rank), &size, nil)
            defer { H5Sclose(memorySpace) }
            guard H5Dread(id, type.native, memorySpace, fileSpace, h5Default, buffer.baseAddress) >= 0 else {
                throw TAMDataError(file.path, "\(name): rows \(range.lowerBound)..<\(range.upperBound) cannot be read; the file is damaged or truncated")
            }
        }

        /// The whole dataset as float64 (for the small columns of fits.h5).
        public func readAll() throws -> [Double] {
            let count = shape.dimensions.reduce(1, *)
            var values = [Double](repeating: .nan, count: count)
            if count > 0 { try values.withUnsafeMutableBufferPointer { try readRows(0..<shape.dimensions[0], into: $0, as: .float64) } }
            return values
        }

        /// A string-list or string attribute of this dataset (nil when absent).
        public func stringsAttribute(_ attribute: String) -> [String]? { HDF5File.readStrings(id, attribute) }
    }

    public func dataset(_ name: String) throws -> Dataset { try Dataset(file: self, name: name) }

    /// A string (or string list) attribute of the root group or of `object`; nil when absent.
    public func strings(_ attribute: String, on object: String = "/") -> [String]? {
        let target = H5Oopen(id, object, h5Default)
        guard target >= 0 else { return nil }
        defer { H5Oclose(target) }
        return Self.readStrings(target, attribute)
    }

    /// A numeric attribute of the root group or of `object`; nil when absent.
    public func number(_ attribute: String, on object: String = "/") -> Double? {
        let target = H5Oopen(id, object, h5Default)
        guard target >= 0 else { return nil }
        defer { H5Oclose(target) }
        guard H5Aexists(target, attribute) > 0 else { return nil }
        let a = H5Aopen(target, attribute, h5Default)
        defer { H5Aclose(a) }
        var value = Double.nan
        return H5Aread(a, femtofit_h5t_double(), &value) >= 0 ? value : nil
    }

    static func readStrings(_ target: hid_t, _ attribute: String) -> [String]? {
        guard H5Aexists(target, attribute) > 0 else { return nil }
        let a = H5Aopen(target, attribute, h5Default)
        defer { H5Aclose(a) }
        let space = H5Aget_space(a)
        let count = max(1, Int(H5Sget_simple_extent_npoints(space)))
        H5Sclose(space)
        let type = H5Tcopy(femtofit_h5t_c_string())
        defer { H5Tclose(type) }
        H5Tset_size(type, femtofit_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        guard H5Aread(a, type, &pointers) >= 0 else { return nil }
        defer { pointers.forEach { free($0) } }
        return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }
}

/// HDF5's "default property list" and "whole dataspace" (0), as the hid_t its functions take.
let h5Default: hid_t = 0
let h5All: hid_t = 0

/// `FILE.h5:/path/to/dataset`, the name of an HDF5 dataset on the command line.
public struct HDF5DatasetName: Sendable, Equatable {
    public var file: String
    public var dataset: String

    /// Splits `text` at the last `.h5:` or `.hdf5:` (nil when it names no dataset).
    public init?(_ text: String) {
        for suffix in [".h5:", ".hdf5:", ".he5:"] {
            if let range = text.range(of: suffix, options: .backwards) {
                file = String(text[..<range.lowerBound]) + String(suffix.dropLast())
                dataset = String(text[range.upperBound...])
                if !dataset.hasPrefix("/") { dataset = "/" + dataset }
                return
            }
        }
        return nil
    }
}
