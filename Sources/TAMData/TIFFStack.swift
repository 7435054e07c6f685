import CTIFF
import Foundation

/// Multi-page TIFF stacks: every page one frame, 8/16/32-bit integer (signed or not) or 32-bit
/// float, one sample per pixel, striped or tiled. Pages must all have the same size.
public enum TIFFStack {
    /// Reads every page of `path` as float32 frames.
    public static func read(_ path: String) throws -> ImageStack {
        let file = try TIFFFile(path: path, mode: "r")
        let pages = file.directoryCount
        guard pages > 0 else { throw TAMDataError(path, "the TIFF holds no pages") }
        var width = 0, height = 0
        var pixels: [Float] = []
        for page in 0..<pages {
            guard file.setDirectory(page) else {
                throw TAMDataError(path, "page \(page + 1) of \(pages) cannot be read (\(file.firstError ?? "damaged directory")); the file may be truncated")
            }
            let frame = try readPage(file, page: page, of: pages)
            if page == 0 {
                (width, height) = (frame.width, frame.height)
                pixels.reserveCapacity(min(width * height * pages, file.fileBytes))  // pages may claim more than the file holds
            } else if frame.width != width || frame.height != height {
                throw TAMDataError(path, "page \(page + 1) is \(frame.width)x\(frame.height) but page 1 is \(width)x\(height); every frame of a stack must have the same size")
            }
            pixels += frame.pixels
        }
        return ImageStack(width: width, height: height, pixels: pixels)
    }

    /// Reads one page (from 0) of `path`.
    public static func readPage(_ path: String, page: Int) throws -> ImageStack {
        let file = try TIFFFile(path: path, mode: "r")
        let pages = file.directoryCount
        guard page >= 0, page < pages else { throw TAMDataError(path, "has \(pages) pages; page \(page) was asked for") }
        guard file.setDirectory(page) else {
            throw TAMDataError(path, "page \(page + 1) of \(pages) cannot be read (\(file.firstError ?? "damaged directory")); the file may be truncated")
        }
        let frame = try readPage(file, page: page, of: pages)
        return ImageStack(width: frame.width, height: frame.height, pixels: frame.pixels)
    }

    /// The page count of `path` and the size of its first page, without reading pixels.
    public static func shape(_ path: String) throws -> (pages: Int, width: Int, height: Int) {
        let file = try TIFFFile(path: path, mode: "r")
        guard let width = file.u32(TIFFTAG_IMAGEWIDTH).map(Int.init), let height = file.u32(TIFFTAG_IMAGELENGTH).map(Int.init) else {
            throw TAMDataError(path, "the first page has no image size; is this a TIFF?")
        }
        return (file.directoryCount, width, height)
    }

    static func readPage(_ file: TIFFFile, page: Int, of pages: Int) throws -> (width: Int, height: Int, pixels: [Float]) {
        let path = file.path
        let where_ = "page \(page + 1) of \(pages)"
        guard let width = file.u32(TIFFTAG_IMAGEWIDTH).map(Int.init), let height = file.u32(TIFFTAG_IMAGELENGTH).map(Int.init),
              width > 0, height > 0 else {
            throw TAMDataError(path, "\(where_) has no image size")
        }
        guard width <= 1 << 16, height <= 1 << 16 else {
            throw TAMDataError(path, "\(where_) claims \(width)x\(height) pixels; frames over 65536 pixels a side are refused (a damaged header?)")
        }
        let samples = Int(file.u16(TIFFTAG_SAMPLESPERPIXEL, defaulted: true) ?? 1)
        guard samples == 1 else {
            throw TAMDataError(path, "\(where_) has \(samples) samples per pixel; femtofit reads single-channel (grey) frames")
        }
        let bits = Int(file.u16(TIFFTAG_BITSPERSAMPLE, defaulted: true) ?? 1)
        let format = Int(file.u16(TIFFTAG_SAMPLEFORMAT, defaulted: true) ?? UInt16(SAMPLEFORMAT_UINT))
        let decode: (UnsafeRawPointer, Int) -> Float
        switch (bits, format) {
        case (8, Int(SAMPLEFORMAT_UINT)): decode = { Float($0.load(fromByteOffset: $1, as: UInt8.self)) }
        case (8, Int(SAMPLEFORMAT_INT)): decode = { Float($0.load(fromByteOffset: $1, as: Int8.self)) }
        case (16, Int(SAMPLEFORMAT_UINT)): decode = { Float($0.loadUnaligned(fromByteOffset: 2 * $1, as: UInt16.self)) }
        case (16, Int(SAMPLEFORMAT_INT)): decode = { Float($0.loadUnaligned(fromByteOffset: 2 * $1, as: Int16.self)) }
        case (32, Int(SAMPLEFORMAT_UINT)): decode = { Float($0.loadUnaligned(fromByteOffset: 4 * $1, as: UInt32.self)) }
        case (32, Int(SAMPLEFORMAT_INT)): decode = { Float($0.loadUnaligned(fromByteOffset: 4 * $1, as: Int32.self)) }
        case (32, Int(SAMPLEFORMAT_IEEEFP)): decode = { $0.loadUnaligned(fromByteOffset: 4 * $1, as: Float.self) }
        default:
            throw TAMDataError(path, "\(where_) stores \(bits)-bit samples of format \(format); femtofit reads 8/16/32-bit integer and 32-bit float")
        }
        let bytesPerSample = bits / 8
        // Nothing is allocated for the claimed size before the file is known to hold it.
        let claimed = width * height * bytesPerSample, most = file.mostSampleBytes
        guard claimed <= most else {
            throw TAMDataError(path, "\(where_) claims \(width)x\(height) pixels of \(bits) bits (\(claimed) bytes), more than the \(file.fileBytes)-byte file can hold; the header is damaged or the file is truncated")
        }
        var pixels = [Float](repeating: 0, count: width * height)
        func truncated() -> TAMDataError {
            TAMDataError(path, "\(where_) is incomplete (\(file.firstError ?? "its data end early")); the file is truncated or damaged — copy it again from the acquisition machine")
        }
        if file.isTiled {
            guard let tileWidth = file.u32(TIFFTAG_TILEWIDTH).map(Int.init), let tileHeight = file.u32(TIFFTAG_TILELENGTH).map(Int.init),
                  tileWidth > 0, tileHeight > 0, tileWidth <= 1 << 16, tileHeight <= 1 << 16 else {
                throw TAMDataError(path, "\(where_) is tiled but gives no tile size")
            }
            let size = file.tileSize
            guard size > 0, size <= max(claimed, most) else {
                throw TAMDataError(path, "\(where_) claims tiles of \(tileWidth)x\(tileHeight) pixels (\(size) bytes), more than the file can hold; the header is damaged")
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            defer { buffer.deallocate() }
            for ty in stride(from: 0, to: height, by: tileHeight) {
                for tx in stride(from: 0, to: width, by: tileWidth) {
                    guard let read = file.readTile(file.computeTile(x: tx, y: ty), into: buffer, size: size), read == size else { throw truncated() }
                    for y in ty..<min(ty + tileHeight, height) {
                        for x in tx..<min(tx + tileWidth, width) {
                            pixels[y * width + x] = decode(buffer, (y - ty) * tileWidth + (x - tx))
                        }
                    }
                }
            }
        } else {
            let rowsPerStrip = Int(file.u32(TIFFTAG_ROWSPERSTRIP) ?? UInt32(height))
            let size = file.stripSize
            guard size <= max(claimed, 1) else {
                throw TAMDataError(path, "\(where_) claims strips of \(size) bytes, more than its \(claimed)-byte frame; the header is damaged")
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
            defer { buffer.deallocate() }
            var row = 0
            for strip in 0..<file.stripCount where row < height {
                let rows = min(rowsPerStrip, height - row)
                let expected = rows * width * bytesPerSample
                guard let read = file.readStrip(strip, into: buffer, size: size), read >= expected else { throw truncated() }
                for k in 0..<(rows * width) { pixels[row * width + k] = decode(buffer, k) }
                row += rows
            }
            if row < height { throw truncated() }
        }
        if file.firstError != nil { throw truncated() }
        return (width, height, pixels)
    }

    /// How samples are stored when writing.
    public enum SampleFormat: Sendable, CaseIterable {
        case uint8, uint16, int16, uint32, int32, float32

        var bits: Int { switch self { case .uint8: return 8; case .uint16, .int16: return 16; default: return 32 } }
        var tiffFormat: UInt16 {
            switch self {
            case .uint8, .uint16, .uint32: return UInt16(SAMPLEFORMAT_UINT)
            case .int16, .int32: return UInt16(SAMPLEFORMAT_INT)
            case .float32: return UInt16(SAMPLEFORMAT_IEEEFP)
            }
        }
        /// Stores `value` (rounded and clamped to the integer range) at sample `index`.
        func store(_ value: Float, _ buffer: UnsafeMutableRawPointer, _ index: Int) {
            func integer<T: FixedWidthInteger>(_: T.Type) -> T {
                let v = value.isFinite ? value.rounded() : 0
                return v <= Float(T.min) ? T.min : (v >= Float(T.max) ? T.max : T(v))
            }
            switch self {
            case .uint8: buffer.storeBytes(of: integer(UInt8.self), toByteOffset: index, as: UInt8.self)
            case .uint16: buffer.storeBytes(of: integer(UInt16.self), toByteOffset: 2 * index, as: UInt16.self)
            case .int16: buffer.storeBytes(of: integer(Int16.self), toByteOffset: 2 * index, as: Int16.self)
            case .uint32: buffer.storeBytes(of: integer(UInt32.self), toByteOffset: 4 * index, as: UInt32.self)
            case .int32: buffer.storeBytes(of: integer(Int32.self), toByteOffset: 4 * index, as: Int32.self)
            case .float32: buffer.storeBytes(of: value, toByteOffset: 4 * index, as: Float.self)
            }
        }
    }

    /// Writes `stack` as a multi-page TIFF, atomically: to a temporary file in the same folder,
    /// renamed over `path` only when complete. `description` goes into each page's
    /// ImageDescription tag (femtofit puts JSON metadata there).
    public static func write(_ stack: ImageStack, to path: String, format: SampleFormat = .float32,
                             description: String? = nil, tileSize: Int? = nil, bigTIFF: Bool? = nil, imageJ: ImageJMetadata? = nil) throws {
        try write(pages: (0..<stack.frameCount).map {
            ImageStack(width: stack.width, height: stack.height, pixels: Array(stack.frame($0)))
        }, to: path, format: format, description: description, tileSize: tileSize, bigTIFF: bigTIFF, imageJ: imageJ)
    }

    /// Writes each of `pages` (one frame each, sizes may differ) as a page; striped, or tiled
    /// with square tiles of `tileSize` (a multiple of 16). `bigTIFF`: 64-bit offsets, which
    /// classic TIFF's 4 GB limit needs past it; nil chooses by size (over 3.9 GB of pixels).
    /// `imageJ`: hyperstack metadata for Fiji/ImageJ (axes, unit, pixel size, slice labels); the
    /// `description` then goes into the first page's ImageJ block as a `femtofit=` line. Files are
    /// little-endian.
    public static func write(pages: [ImageStack], to path: String, format: SampleFormat = .float32,
                             description: String? = nil, tileSize: Int? = nil, bigTIFF: Bool? = nil,
                             imageJ: ImageJMetadata? = nil) throws {
        if let imageJ, !imageJ.frameLabels.isEmpty, imageJ.frameLabels.count != pages.count {
            throw TAMDataError(path, "\(imageJ.frameLabels.count) slice labels for \(pages.count) frames; give one label per frame")
        }
        let bytes = pages.reduce(0) { $0 + $1.pixels.count * format.bits / 8 }
        let big = bigTIFF ?? (bytes > 3_900_000_000)
        try AtomicFile.write(to: path) { temporary in
            let file = try TIFFFile(path: temporary, mode: big ? "w8l" : "wl")
            for (index, page) in pages.enumerated() {
                file.set(TIFFTAG_IMAGEWIDTH, UInt32(page.width))
                file.set(TIFFTAG_IMAGELENGTH, UInt32(page.height))
                file.set(TIFFTAG_BITSPERSAMPLE, UInt16(format.bits))
                file.set(TIFFTAG_SAMPLESPERPIXEL, UInt16(1))
                file.set(TIFFTAG_SAMPLEFORMAT, format.tiffFormat)
                file.set(TIFFTAG_PHOTOMETRIC, UInt16(PHOTOMETRIC_MINISBLACK))
                file.set(TIFFTAG_PLANARCONFIG, UInt16(PLANARCONFIG_CONTIG))
                file.set(TIFFTAG_COMPRESSION, UInt16(COMPRESSION_NONE))
                file.set(TIFFTAG_SUBFILETYPE, UInt32(FILETYPE_PAGE))
                file.set(TIFFTAG_PAGENUMBER, UInt16(index), UInt16(pages.count))
                if let imageJ {
                    if index == 0 {
                        file.set(TIFFTAG_IMAGEDESCRIPTION, imageJ.description(pages: pages.count, extra: description))
                        if let (counts, data) = imageJ.tags(), !file.setImageJTags(byteCounts: counts, data: data) {
                            throw OutputError(path, "cannot write the ImageJ slice labels (\(file.firstError ?? "libtiff error"))")
                        }
                    }
                    file.set(TIFFTAG_XRESOLUTION, 1 / imageJ.pixelSize)
                    file.set(TIFFTAG_YRESOLUTION, 1 / imageJ.pixelSize)
                    file.set(TIFFTAG_RESOLUTIONUNIT, UInt16(RESUNIT_NONE))
                } else if let description {
                    file.set(TIFFTAG_IMAGEDESCRIPTION, description)
                }
                let bytesPerSample = format.bits / 8
                var ok = true
                if let tile = tileSize {
                    file.set(TIFFTAG_TILEWIDTH, UInt32(tile))
                    file.set(TIFFTAG_TILELENGTH, UInt32(tile))
                    let buffer = UnsafeMutableRawPointer.allocate(byteCount: tile * tile * bytesPerSample, alignment: 16)
                    defer { buffer.deallocate() }
                    for ty in stride(from: 0, to: page.height, by: tile) {
                        for tx in stride(from: 0, to: page.width, by: tile) {
                            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: tile * tile * bytesPerSample)
                            for y in ty..<min(ty + tile, page.height) {
                                for x in tx..<min(tx + tile, page.width) {
                                    format.store(page.pixels[y * page.width + x], buffer, (y - ty) * tile + (x - tx))
                                }
                            }
                            ok = ok && file.writeTile(buffer, size: tile * tile * bytesPerSample, x: tx, y: ty)
                        }
                    }
                } else {
                    file.set(TIFFTAG_ROWSPERSTRIP, UInt32(page.height))
                    let size = page.width * page.height * bytesPerSample
                    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
                    defer { buffer.deallocate() }
                    for k in 0..<(page.width * page.height) { format.store(page.pixels[k], buffer, k) }
                    ok = file.writeStrip(0, buffer, size: size)
                }
                guard ok, file.writeDirectory() else {
                    throw OutputError(path, "writing frame \(index + 1) failed (\(file.firstError ?? "libtiff error")); check free disk space")
                }
            }
        }
    }

    /// The ImageDescription of the first page, if any (femtofit's metadata).
    public static func description(_ path: String) throws -> String? {
        try TIFFFile(path: path, mode: "r").string(TIFFTAG_IMAGEDESCRIPTION)
    }

    /// The slice labels of a stack written with ImageJ metadata (nil: none).
    public static func imageJLabels(_ path: String) throws -> [String]? {
        let file = try TIFFFile(path: path, mode: "r")
        guard let counts = file.array(50838, elementSize: 4), let data = file.array(50839, elementSize: 1) else { return nil }
        // libtiff hands the LONG values over in host order; femtofit's hosts are little-endian.
        var byteCounts: [UInt32] = []
        for start in stride(from: 0, to: counts.count - 3, by: 4) {
            var value: UInt32 = 0
            for k in 0..<4 { value |= UInt32(counts[start + k]) << (8 * UInt32(k)) }
            byteCounts.append(value)
        }
        return ImageJMetadata.labels(byteCounts: byteCounts, data: data)
    }
}

/// A stack's pages read a stretch at a time, so a stack larger than memory streams (classic TIFF
/// and BigTIFF alike). Every page must have the first page's size.
public final class TIFFPageReader {
    public let path: String
    public let pageCount: Int
    public let width: Int
    public let height: Int
    private let file: TIFFFile
    private var current = 0

    public init(_ path: String) throws {
        self.path = path
        // "m": read with read(2), not a memory map of the whole file, whose touched pages would
        // count as this process's memory and grow with the stack.
        file = try TIFFFile(path: path, mode: "rm")
        pageCount = file.directoryCount
        guard pageCount > 0 else { throw TAMDataError(path, "the TIFF holds no pages") }
        guard file.setDirectory(0) else { throw TAMDataError(path, "page 1 cannot be read (\(file.firstError ?? "damaged directory"))") }
        let first = try TIFFStack.readPage(file, page: 0, of: pageCount)
        (width, height) = (first.width, first.height)
    }

    /// Pages `pages` (from 0) as float32 frames.
    public func read(pages: Range<Int>) throws -> ImageStack {
        var pixels: [Float] = []
        pixels.reserveCapacity(pages.count * width * height)
        for page in pages {
            // The next page is read on from the current one; any other is sought from the first.
            let found = page == current + 1 ? file.readNextDirectory() : (page == current || file.setDirectory(page))
            current = page
            guard found else {
                throw TAMDataError(path, "page \(page + 1) of \(pageCount) cannot be read (\(file.firstError ?? "damaged directory")); the file may be truncated")
            }
            let frame = try TIFFStack.readPage(file, page: page, of: pageCount)
            guard frame.width == width, frame.height == height else {
                throw TAMDataError(path, "page \(page + 1) is \(frame.width)x\(frame.height) but page 1 is \(width)x\(height); every frame of a stack must have the same size")
            }
            pixels += frame.pixels
        }
        return ImageStack(width: width, height: height, pixels: pixels)
    }
}
