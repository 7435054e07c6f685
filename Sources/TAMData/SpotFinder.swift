/// Finds the pump spot in a frame and plans the ROI to fit it in.
///
/// Spots spread from ~141 nm to over 500 nm within one stack, and a ROI cropped tighter than the
/// spot biases sigma low, so each frame's ROI is sized to its own spot: +-3.5 sigma plus a pixel,
/// snapped up to a short ladder of sizes so that frames share batches.
public enum SpotFinder {
    public struct Spot: Sendable, Equatable {
        public var x: Int
        public var y: Int
        /// Rough width in pixels (from the area above half maximum).
        public var sigma: Double
        /// +1 for a bleach (positive spot), -1 for photo-induced absorption (negative spot).
        public var sign: Double
    }

    /// ROI sizes used by automatic ROIs.
    public static let ladder = [11, 15, 19, 25, 31, 39, 49, 61, 77, 97, 121, 151, 191, 241]

    /// The spot of one frame: the extremum of the 3x3-smoothed frame relative to the median of
    /// the frame's border, and its half-maximum area. Non-finite pixels are ignored.
    public static func find(in frame: ArraySlice<Float>, width: Int, height: Int) -> Spot? {
        let base = frame.startIndex
        var border: [Float] = []
        for x in 0..<width { border.append(frame[base + x]); border.append(frame[base + (height - 1) * width + x]) }
        for y in 0..<height { border.append(frame[base + y * width]); border.append(frame[base + y * width + width - 1]) }
        let finiteBorder = border.filter { $0.isFinite }.sorted()
        guard !finiteBorder.isEmpty else { return nil }
        let baseline = Double(finiteBorder[finiteBorder.count / 2])
        var smooth = [Double](repeating: 0, count: width * height)
        var best = 0.0, bestX = width / 2, bestY = height / 2
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0, count = 0.0
                for dy in -1...1 {
                    for dx in -1...1 {
                        let xx = x + dx, yy = y + dy
                        guard xx >= 0, yy >= 0, xx < width, yy < height else { continue }
                        let v = frame[base + yy * width + xx]
                        if v.isFinite { sum += Double(v) - baseline; count += 1 }
                    }
                }
                let value = count > 0 ? sum / count : 0
                smooth[y * width + x] = value
                if abs(value) > abs(best) { best = value; bestX = x; bestY = y }
            }
        }
        guard best != 0 else { return nil }
        let sign: Double = best > 0 ? 1 : -1
        let area = Double(smooth.filter { sign * $0 > 0.5 * abs(best) }.count)
        let sigma = max(0.7, (area / (2 * Double.pi * 0.6931471805599453)).squareRoot())
        return Spot(x: bestX, y: bestY, sigma: sigma, sign: sign)
    }

    /// The side of an automatic ROI for a spot of width `sigma` px.
    public static func roiSide(forSigma sigma: Double) -> Int {
        let wanted = 2 * Int((3.5 * sigma + 1).rounded(.up)) + 1
        return ladder.first { $0 >= wanted } ?? wanted
    }

    /// A ROI of `width` x `height` centred on (x, y), moved to lie inside the frame (and cut to
    /// the frame where the frame is smaller). Returns the origin and size.
    public static func roi(centredOn x: Int, _ y: Int, width: Int, height: Int, frameWidth: Int, frameHeight: Int)
        -> (x: Int, y: Int, width: Int, height: Int) {
        let w = min(width, frameWidth), h = min(height, frameHeight)
        let ox = min(max(x - w / 2, 0), frameWidth - w)
        let oy = min(max(y - h / 2, 0), frameHeight - h)
        return (ox, oy, w, h)
    }
}
