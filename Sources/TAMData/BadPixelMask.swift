/// The camera pixels a series' ΔT/T must not use: those dataset.json lists under `bad_pixels`,
/// and the hot and dead pixels femtofit finds itself. The probe illumination is smooth over a few
/// pixels, so a pixel of the series' mean pump-off frame (or mean dark frame) far from the median
/// of its 3x3 neighbourhood — more than `threshold` robust standard deviations of all such
/// differences, and more than 5 % of the local level — is a defect of the camera, not the sample.
/// Masked pixels are NaN in every ΔT/T frame, so no fit and no average uses them.
public enum BadPixelMask {
    public static let threshold = 12.0
    /// Frames averaged for the search (spread over the delays).
    public static let sampleFrames = 8

    /// The mask (true: bad) and how many pixels each source gave.
    public static func find(_ dataset: Dataset, series: DifferentialStack.Series) throws -> (mask: [Bool], listed: Int, found: Int) {
        let m = dataset.manifest, size = m.frameWidth * m.frameHeight
        var mask = [Bool](repeating: false, count: size)
        for pixel in m.badPixels ?? [] { mask[pixel[1] * m.frameWidth + pixel[0]] = true }
        let listed = mask.filter { $0 }.count
        var found = 0
        for kind in [FrameKind.pumpOff, .dark] {
            let delays = m.axes.delayFs.indices
            let chosen = stride(from: 0, to: delays.count, by: max(1, delays.count / sampleFrames)).map { $0 }
            var entries: [FrameEntry] = []
            for delay in chosen {
                entries += dataset.entries(kind, delay: delay, fluence: series.fluence, wavelength: series.wavelength, spot: series.spot, run: 0).prefix(1)
            }
            guard !entries.isEmpty else { continue }
            var mean = [Double](repeating: 0, count: size), counts = [Int](repeating: 0, count: size)
            for entry in Set(entries.map { "\($0.file)#\($0.page)" }).sorted().compactMap({ key in entries.first { "\($0.file)#\($0.page)" == key } }) {
                let frame = try dataset.frame(entry)
                for k in 0..<size where frame[k].isFinite { mean[k] += Double(frame[k]); counts[k] += 1 }
            }
            for k in 0..<size { mean[k] = counts[k] > 0 ? mean[k] / Double(counts[k]) : .nan }
            for k in outliers(mean, width: m.frameWidth, height: m.frameHeight) where !mask[k] {
                mask[k] = true
                found += 1
            }
        }
        return (mask, listed, found)
    }

    /// Pixels far from their 3x3 neighbourhood's median (see the type's note).
    static func outliers(_ image: [Double], width: Int, height: Int) -> [Int] {
        guard width >= 3, height >= 3 else { return [] }
        var residual = [Double](repeating: .nan, count: image.count), local = residual
        var neighbours: [Double] = []
        for y in 0..<height {
            for x in 0..<width {
                neighbours.removeAll(keepingCapacity: true)
                Neighbourhood.forEach(x: x, y: y, width: width, height: height, centre: false) { k in
                    if image[k].isFinite { neighbours.append(image[k]) }
                }
                let v = image[y * width + x]
                guard v.isFinite, neighbours.count >= 3 else { continue }
                let median = Neighbourhood.median(&neighbours)
                local[y * width + x] = median
                residual[y * width + x] = v - median
            }
        }
        let magnitudes = residual.filter(\.isFinite).map(abs).sorted()
        guard !magnitudes.isEmpty else { return [] }
        let scale = 1.4826 * magnitudes[magnitudes.count / 2]
        return residual.indices.filter { k in
            residual[k].isFinite && abs(residual[k]) > threshold * scale && abs(residual[k]) > 0.05 * abs(local[k])
        }
    }
}
