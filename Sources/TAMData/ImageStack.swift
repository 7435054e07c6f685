/// Frames of one size, row-major float32: pixel (column x, row y) of frame f is
/// `pixels[f * width * height + y * width + x]`.
public struct ImageStack: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width > 0 && height > 0 && pixels.count % (width * height) == 0, "pixels must hold whole frames")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public var frameCount: Int { pixels.count / (width * height) }
    public var pixelsPerFrame: Int { width * height }

    /// The traces of pixels `range` across the frames, pixel-major (`frameCount` values each):
    /// what a per-pixel kinetics fit reads.
    public func traces(pixels range: Range<Int>) -> [Float] {
        let frames = frameCount, size = width * height
        var traces = [Float](repeating: .nan, count: range.count * frames)
        pixels.withUnsafeBufferPointer { all in
            for f in 0..<frames {
                for (k, p) in range.enumerated() { traces[k * frames + f] = all[f * size + p] }
            }
        }
        return traces
    }

    public func frame(_ index: Int) -> ArraySlice<Float> {
        pixels[index * pixelsPerFrame ..< (index + 1) * pixelsPerFrame]
    }

    public subscript(frame: Int, x: Int, y: Int) -> Float {
        pixels[frame * pixelsPerFrame + y * width + x]
    }
}
