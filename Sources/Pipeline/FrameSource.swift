import Foundation
import TextInput
import TAMData

/// Where a run's frames come from, a block at a time, so memory holds a few blocks whatever the
/// input's size: raw ROI files, TIFF stacks, HDF5 datasets, dataset folders.
public protocol FrameSource: AnyObject {
    /// The input in messages (a path, `FILE.h5:/dataset`).
    var name: String { get }
    /// Frames (or ROIs) in the whole input.
    var frameCount: Int { get }
    /// Pixels in one frame (to size blocks).
    var pixelsPerFrame: Int { get }
    /// The next block of at most `maximum` frames, or nil at the end.
    func next(maximum: Int) throws -> FrameBlock?
    /// Told before the first `next` how many of its blocks a run may hold at once (the one being
    /// read included), so a source that reuses its buffers knows when one is free again.
    func willHold(blocks: Int)
}

extension FrameSource {
    public func willHold(blocks: Int) {}
}

/// Raw float32 ROIs stored one after another (native byte order, row-major), each fitted whole,
/// read a block at a time with `pread` (nothing is memory-mapped, so the process's memory does
/// not grow with the file).
public final class RawROISource: FrameSource {
    public let name: String
    public let width: Int
    public let height: Int
    public let frameCount: Int
    private let descriptor: Int32
    private var position = 0
    /// Pixel buffers read into in turn and reused, so the kernel copies into pages the process
    /// already has instead of faulting in new ones for every block. One more than the run holds
    /// at once (`willHold`), so a buffer is free when it comes round again; were it still held,
    /// writing into it would copy it first (slower, never wrong).
    private var buffers: [[Float]] = Array(repeating: [], count: 4)
    private var turn = 0

    public init(_ path: String, width: Int, height: Int) throws {
        guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16 else {
            throw TAMDataError(path, "the raw shape must be positive, e.g. --raw-shape 15x15")
        }
        name = path
        self.width = width
        self.height = height
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw TAMDataError(path, FileManager.default.fileExists(atPath: path) ? "cannot read the file; check its permissions" : "no such file; check the path")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw TAMDataError(path, "is not a regular file")
        }
        let size = Int(status.st_size), roiBytes = width * height * 4
        guard size > 0 else { close(descriptor); throw TAMDataError(path, "the file is empty") }
        guard size % roiBytes == 0 else {
            close(descriptor)
            throw TAMDataError(path, "holds \(size) bytes, not a whole number of \(width)x\(height) float32 ROIs (\(roiBytes) bytes each): \(size / roiBytes) whole ROIs and \(size % roiBytes) bytes left over. Check --raw-shape, or whether the file was cut short")
        }
        frameCount = size / roiBytes
    }

    deinit { close(descriptor) }

    public var pixelsPerFrame: Int { width * height }

    public func willHold(blocks: Int) {
        if blocks + 1 > buffers.count { buffers += Array(repeating: [], count: blocks + 1 - buffers.count) }
    }

    public func next(maximum: Int) throws -> FrameBlock? {
        guard position < frameCount else { return nil }
        let count = min(maximum, frameCount - position), n = width * height
        let first = position
        turn = (turn + 1) % buffers.count
        if buffers[turn].count != count * n {
            // Not zero-filled first: pread fills every value, or the block is never used.
            buffers[turn] = [Float](unsafeUninitializedCapacity: count * n) { _, initialized in initialized = count * n }
        }
        try buffers[turn].withUnsafeMutableBytes { raw in
            var done = 0
            while done < raw.count {
                let got = pread(descriptor, raw.baseAddress! + done, raw.count - done, off_t(first * n * 4 + done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    let roi = first + done / (n * 4)
                    let reason = got < 0 ? SystemError.words(errno: errno) : "the file ended early: it was cut short while being read"
                    throw TAMDataError(name, "became unreadable at ROI \(roi) (\(reason)); \(roi) ROIs were read. Check the disk or copy the file again")
                }
                done += got
            }
        }
        position += count
        return FrameBlock(frames: ImageStack(width: width, height: height, pixels: buffers[turn]), firstFrame: first, roi: .wholeFrame)
    }
}

/// A multi-page TIFF (or BigTIFF), pages read a block at a time; each frame's spot is found and
/// cut as `roi` says.
public final class TIFFPageSource: FrameSource {
    let reader: TIFFPageReader
    let roi: StackFitter.ROIChoice
    private var position = 0

    public init(_ path: String, roi: StackFitter.ROIChoice) throws {
        reader = try TIFFPageReader(path)
        self.roi = roi
    }

    public var name: String { reader.path }
    public var frameCount: Int { reader.pageCount }
    public var pixelsPerFrame: Int { reader.width * reader.height }

    public func next(maximum: Int) throws -> FrameBlock? {
        guard position < frameCount else { return nil }
        let range = position..<min(frameCount, position + maximum)
        let frames = try reader.read(pages: range)
        position = range.upperBound
        return FrameBlock(frames: frames, firstFrame: range.lowerBound, roi: roi)
    }
}

/// An HDF5 dataset (`FILE.h5:/path`): 3-D (frames x height x width) as frames, cut like a TIFF
/// stack's; or 2-D (ROIs x points) with `rawShape`, each row one ROI fitted whole. Integer and
/// float types are converted to float32 by HDF5 as they are read.
public final class HDF5FrameSource: FrameSource {
    public let name: String
    let file: HDF5File
    let dataset: HDF5File.Dataset
    let width: Int
    let height: Int
    let roi: StackFitter.ROIChoice
    public let frameCount: Int
    private var position = 0

    public init(_ location: HDF5DatasetName, rawShape: (width: Int, height: Int)?, roi: StackFitter.ROIChoice) throws {
        name = "\(location.file):\(location.dataset)"
        file = try HDF5File.open(location.file)
        dataset = try file.dataset(location.dataset)
        let dims = dataset.shape.dimensions
        if case .other(let what) = dataset.shape.kind {
            throw TAMDataError(name, "holds \(what); femtofit fits integer or floating-point numbers")
        }
        if let rawShape {
            guard dims.count == 2 else {
                throw TAMDataError(name, "has rank \(dims.count) (\(dims.map(String.init).joined(separator: "x"))); with --raw-shape give a 2-D dataset of ROIs x points")
            }
            guard dims[1] == rawShape.width * rawShape.height else {
                throw TAMDataError(name, "has \(dims[1]) points per ROI, but --raw-shape \(rawShape.width)x\(rawShape.height) needs \(rawShape.width * rawShape.height)")
            }
            (width, height) = rawShape
            self.roi = .wholeFrame
        } else {
            guard dims.count == 3 else {
                throw TAMDataError(name, "has rank \(dims.count) (\(dims.map(String.init).joined(separator: "x"))); give a 3-D dataset of frames x height x width, or a 2-D one of ROIs x points with --raw-shape WxH")
            }
            guard dims[1] > 0, dims[2] > 0, dims[1] <= 1 << 16, dims[2] <= 1 << 16 else {
                throw TAMDataError(name, "frames of \(dims[2])x\(dims[1]) pixels are refused")
            }
            (width, height) = (dims[2], dims[1])
            self.roi = roi
        }
        frameCount = dims[0]
        guard frameCount > 0 else { throw TAMDataError(name, "holds no frames") }
    }

    public var pixelsPerFrame: Int { width * height }

    public func next(maximum: Int) throws -> FrameBlock? {
        guard position < frameCount else { return nil }
        let range = position..<min(frameCount, position + maximum)
        let n = width * height
        let pixels = try [Float](unsafeUninitializedCapacity: range.count * n) { buffer, initialized in
            try dataset.readRows(range, into: buffer, as: .float32)
            initialized = range.count * n
        }
        position = range.upperBound
        return FrameBlock(frames: ImageStack(width: width, height: height, pixels: pixels), firstFrame: range.lowerBound, roi: roi)
    }
}

/// A stack already in memory (a few frames: the live view, library callers, tests).
public final class ImageStackSource: FrameSource {
    public let name: String
    let stack: ImageStack
    let variances: ImageStack?
    let roi: StackFitter.ROIChoice
    private var position = 0

    public init(_ stack: ImageStack, variances: ImageStack? = nil, name: String, roi: StackFitter.ROIChoice) {
        self.stack = stack; self.variances = variances; self.name = name; self.roi = roi
    }

    public var frameCount: Int { stack.frameCount }
    public var pixelsPerFrame: Int { stack.pixelsPerFrame }

    public func next(maximum: Int) throws -> FrameBlock? {
        guard position < frameCount else { return nil }
        let range = position..<min(frameCount, position + maximum), n = stack.pixelsPerFrame
        position = range.upperBound
        func part(_ s: ImageStack) -> ImageStack { ImageStack(width: s.width, height: s.height, pixels: Array(s.pixels[range.lowerBound * n ..< range.upperBound * n])) }
        return FrameBlock(frames: part(stack), variances: variances.map(part), firstFrame: range.lowerBound, roi: roi)
    }
}

/// Any source whose frames are labelled with delays (a delay file, one per frame).
public final class DelayLabelledSource: FrameSource {
    let inner: FrameSource
    let delays: [Double]
    public init(_ inner: FrameSource, delays: [Double]) {
        precondition(delays.count == inner.frameCount, "one delay per frame")
        self.inner = inner
        self.delays = delays
    }
    public var name: String { inner.name }
    public var frameCount: Int { inner.frameCount }
    public var pixelsPerFrame: Int { inner.pixelsPerFrame }
    public func willHold(blocks: Int) { inner.willHold(blocks: blocks) }
    public func next(maximum: Int) throws -> FrameBlock? {
        guard var block = try inner.next(maximum: maximum) else { return nil }
        block.delays = Array(delays[block.firstFrame ..< block.firstFrame + block.frameCount])
        return block
    }
}

/// Start values for raw ROIs from a file of float64 rows, one row of the model's parameters per
/// ROI, read a block at a time.
public final class StartValueFile: @unchecked Sendable {
    public let path: String
    let parameters: Int
    private let descriptor: Int32

    public init(_ path: String, parameters: Int, fits: Int) throws {
        self.path = path
        self.parameters = parameters
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TAMDataError(path, "cannot open the start values: \(SystemError.words(errno: errno))") }
        var status = stat()
        fstat(descriptor, &status)
        guard Int(status.st_size) == fits * parameters * 8 else {
            close(descriptor)
            throw TAMDataError(path, "holds \(status.st_size) bytes; \(fits) fits x \(parameters) parameters of float64 need \(fits * parameters * 8)")
        }
    }

    deinit { close(descriptor) }

    /// The start values of fits `first ..< first + count`.
    public func read(first: Int, count: Int) throws -> [Double] {
        try [Double](unsafeUninitializedCapacity: count * parameters) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var done = 0
            while done < raw.count {
                let got = pread(descriptor, raw.baseAddress! + done, raw.count - done, off_t(first * parameters * 8 + done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { throw TAMDataError(path, "became unreadable at fit \(first + done / (parameters * 8))") }
                done += got
            }
            initialized = count * parameters
        }
    }

    public var reader: StackFitter.StartValues { { [self] first, count in try self.read(first: first, count: count) } }
}
