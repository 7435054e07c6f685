import CTIFF
import Foundation

/// The one layer through which femtofit calls libtiff: opens a file with its own error buffer,
/// reads and writes tags and strips, and turns libtiff's complaints into `TAMDataError`s.
final class TIFFFile {
    let path: String
    private let handle: OpaquePointer
    private let errors: UnsafeMutablePointer<ff_tiff_errors>

    init(path: String, mode: String) throws {
        self.path = path
        errors = .allocate(capacity: 1)
        errors.initialize(to: ff_tiff_errors())
        guard let tif = ff_tiff_open(path, mode, errors) else {
            let reason = TIFFFile.firstError(errors)
            errors.deallocate()
            if mode.hasPrefix("r") && !FileManager.default.fileExists(atPath: path) {
                throw TAMDataError(path, "no such file; check the path")
            }
            if !mode.hasPrefix("r") {
                throw OutputError(path, "cannot create it (\(reason ?? "libtiff could not open it for writing")); check the folder exists and is writable")
            }
            throw TAMDataError(path, "not a readable TIFF file (\(reason ?? "libtiff could not open it")); give a TIFF stack, or raw float32 data with --raw-shape")
        }
        handle = tif
    }

    deinit {
        TIFFClose(handle)
        errors.deallocate()
    }

    private static func firstError(_ errors: UnsafeMutablePointer<ff_tiff_errors>) -> String? {
        guard errors.pointee.count > 0 else { return nil }
        return withUnsafeBytes(of: errors.pointee.first) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// libtiff's first complaint since the file was opened, if any.
    var firstError: String? { TIFFFile.firstError(errors) }

    var directoryCount: Int { Int(TIFFNumberOfDirectories(handle)) }
    func setDirectory(_ index: Int) -> Bool { TIFFSetDirectory(handle, tdir_t(index)) == 1 }
    /// The next page after the current one (sequential reading, no walk from the first page).
    func readNextDirectory() -> Bool { TIFFReadDirectory(handle) == 1 }
    var isTiled: Bool { TIFFIsTiled(handle) != 0 }

    func u32(_ tag: Int32) -> UInt32? {
        var value: UInt32 = 0
        return ff_tiff_get_u32(handle, UInt32(tag), &value) == 1 ? value : nil
    }
    func u16(_ tag: Int32, defaulted: Bool = false) -> UInt16? {
        var value: UInt16 = 0
        let ok = defaulted ? ff_tiff_get_u16_defaulted(handle, UInt32(tag), &value) : ff_tiff_get_u16(handle, UInt32(tag), &value)
        return ok == 1 ? value : nil
    }
    func string(_ tag: Int32) -> String? {
        var value: UnsafePointer<CChar>?
        guard ff_tiff_get_string(handle, UInt32(tag), &value) == 1, let value else { return nil }
        return String(cString: value)
    }

    /// The file's length in bytes (0 when it cannot be read).
    lazy var fileBytes: Int = {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : 0
    }()

    /// How many bytes of samples the current page can hold at most, given the file's length: its
    /// length if uncompressed, else its length times 4096 (deflate packs at most about 1032:1, LZW
    /// and PackBits less). A header that claims more is damaged or hostile.
    var mostSampleBytes: Int {
        let uncompressed = u16(TIFFTAG_COMPRESSION, defaulted: true) == UInt16(COMPRESSION_NONE)
        return uncompressed ? fileBytes : fileBytes.multipliedReportingOverflow(by: 4096).partialValue
    }

    var stripCount: Int { Int(TIFFNumberOfStrips(handle)) }
    var stripSize: Int { Int(TIFFStripSize(handle)) }
    var tileCount: Int { Int(TIFFNumberOfTiles(handle)) }
    var tileSize: Int { Int(TIFFTileSize(handle)) }

    /// Reads strip `index` into `buffer`; returns the bytes read, or nil where libtiff failed.
    func readStrip(_ index: Int, into buffer: UnsafeMutableRawPointer, size: Int) -> Int? {
        let n = TIFFReadEncodedStrip(handle, UInt32(index), buffer, tmsize_t(size))
        return n < 0 ? nil : Int(n)
    }
    func readTile(_ index: Int, into buffer: UnsafeMutableRawPointer, size: Int) -> Int? {
        let n = TIFFReadEncodedTile(handle, UInt32(index), buffer, tmsize_t(size))
        return n < 0 ? nil : Int(n)
    }
    func computeTile(x: Int, y: Int) -> Int { Int(TIFFComputeTile(handle, UInt32(x), UInt32(y), 0, 0)) }

    @discardableResult func set(_ tag: Int32, _ value: UInt32) -> Bool { ff_tiff_set_u32(handle, UInt32(tag), value) == 1 }
    @discardableResult func set(_ tag: Int32, _ value: UInt16) -> Bool { ff_tiff_set_u16(handle, UInt32(tag), value) == 1 }
    @discardableResult func set(_ tag: Int32, _ value: String) -> Bool { ff_tiff_set_string(handle, UInt32(tag), value) == 1 }
    func writeStrip(_ index: Int, _ buffer: UnsafeMutableRawPointer, size: Int) -> Bool {
        TIFFWriteEncodedStrip(handle, UInt32(index), buffer, tmsize_t(size)) >= 0
    }
    func writeTile(_ buffer: UnsafeMutableRawPointer, size: Int, x: Int, y: Int) -> Bool {
        TIFFWriteEncodedTile(handle, UInt32(computeTile(x: x, y: y)), buffer, tmsize_t(size)) >= 0
    }
    @discardableResult func set(_ tag: Int32, _ first: UInt16, _ second: UInt16) -> Bool {
        ff_tiff_set_u16_pair(handle, UInt32(tag), first, second) == 1
    }
    func writeDirectory() -> Bool { TIFFWriteDirectory(handle) == 1 }

    @discardableResult func set(_ tag: Int32, _ value: Double) -> Bool { ff_tiff_set_double(handle, UInt32(tag), value) == 1 }
    /// Writes ImageJ's private metadata tags (registering them with libtiff first).
    @discardableResult func setImageJTags(byteCounts: [UInt32], data: [UInt8]) -> Bool {
        guard ff_tiff_register_imagej(handle) == 1 else { return false }
        return ff_tiff_set_u32_array(handle, 50838, UInt32(byteCounts.count), byteCounts) == 1
            && ff_tiff_set_u8_array(handle, 50839, UInt32(data.count), data) == 1
    }
    /// A counted array tag's raw bytes (`elementSize` bytes per element), if present.
    func array(_ tag: UInt32, elementSize: Int) -> [UInt8]? {
        var count: UInt32 = 0
        var values: UnsafeRawPointer?
        guard ff_tiff_get_array(handle, tag, &count, &values) == 1, let values else { return nil }
        return Array(UnsafeRawBufferPointer(start: values, count: Int(count) * elementSize))
    }
}
