/// The ΔT/T frames of one series of a dataset (one fluence, wavelength and spot), one per
/// delay, averaged over runs: the stack `femtofit fit` fits for that series.
///
/// At each delay and run a `dt_t` frame is taken as it is; otherwise ΔT/T = (on − off) / (off −
/// dark) from the pump-on and pump-off frames, with the dark frame that applies (the one naming
/// the most axes of the point; none: 0) subtracted from both. Pixels where off − dark is not positive have no ΔT/T (NaN: the fit masks
/// them), and the run average of a pixel is over the runs where it is finite (NaN where none is).
/// This is the first preprocessing step; background subtraction before time zero, time zero,
/// outlier rejection, weights and registration come on top of it.
public enum DifferentialStack {
    /// One series of the dataset's axes (indices).
    public struct Series: Sendable, Hashable {
        public var fluence: Int
        public var wavelength: Int
        public var spot: Int
        public init(fluence: Int, wavelength: Int, spot: Int) { self.fluence = fluence; self.wavelength = wavelength; self.spot = spot }
    }

    /// Every series of `dataset`, fluence fastest, then wavelength, then spot.
    public static func series(of dataset: Dataset) -> [Series] {
        let axes = dataset.manifest.axes
        return axes.spot.indices.flatMap { spot in
            axes.wavelengthNm.indices.flatMap { wavelength in
                axes.fluence.indices.map { Series(fluence: $0, wavelength: wavelength, spot: spot) }
            }
        }
    }

    /// The run-averaged ΔT/T stack of `series`, one frame per delay.
    public static func make(_ dataset: Dataset, series: Series) throws -> ImageStack {
        let m = dataset.manifest, size = m.frameWidth * m.frameHeight
        var pixels = [Float](repeating: .nan, count: size * m.axes.delayFs.count)
        var sum = [Double](repeating: 0, count: size), count = [Int](repeating: 0, count: size)
        for delay in m.axes.delayFs.indices {
            for k in 0..<size { sum[k] = 0; count[k] = 0 }
            for run in 0..<m.axes.runs {
                let frame = try differential(dataset, series: series, delay: delay, run: run)
                for k in 0..<size where frame[k].isFinite { sum[k] += Double(frame[k]); count[k] += 1 }
            }
            for k in 0..<size where count[k] > 0 { pixels[delay * size + k] = Float(sum[k] / Double(count[k])) }
        }
        return ImageStack(width: m.frameWidth, height: m.frameHeight, pixels: pixels)
    }

    /// ΔT/T of one delay and run.
    static func differential(_ dataset: Dataset, series: Series, delay: Int, run: Int) throws -> [Float] {
        func entries(_ kind: FrameKind) -> [FrameEntry] {
            dataset.entries(kind, delay: delay, fluence: series.fluence, wavelength: series.wavelength, spot: series.spot, run: run)
        }
        if let given = entries(.dTT).first { return try dataset.frame(given) }
        guard let onEntry = entries(.pumpOn).first, let offEntry = entries(.pumpOff).first else {
            // Dataset.open has checked every point is complete; this is a programming error.
            preconditionFailure("delay \(delay), run \(run) of a checked dataset has no frames")
        }
        let on = try dataset.frame(onEntry), off = try dataset.frame(offEntry)
        // The dark frame that names the most axes of this point (one taken here beats a general one).
        func specificity(_ e: FrameEntry) -> Int { [e.delay, e.fluence, e.wavelength, e.spot, e.run].compactMap { $0 }.count }
        let dark = try entries(.dark).max { specificity($0) < specificity($1) }.map { try dataset.frame($0) }
        var result = [Float](repeating: .nan, count: on.count)
        for k in on.indices {
            let d = dark?[k] ?? 0
            let reference = off[k] - d
            if reference > 0 { result[k] = (on[k] - off[k]) / reference }
        }
        return result
    }
}
