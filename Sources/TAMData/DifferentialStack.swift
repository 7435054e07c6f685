/// The ΔT/T frames of a dataset, one per (series, delay, run): the first step of `Preprocessing`.
///
/// A `dt_t` frame is taken as it is; otherwise ΔT/T = (on − off) / (off − dark) from the pump-on
/// and pump-off frames, with the dark frame that applies (the one naming the most axes of the
/// point; none: 0) subtracted from both. Pixels where off − dark is not positive, or where the
/// pump-on or pump-off counts reach the saturation level, have no ΔT/T (NaN: the fit masks them).
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

    /// ΔT/T of one delay and run.
    /// Returns the frame and how many of its pixels were masked as saturated.
    public static func differential(_ dataset: Dataset, series: Series, delay: Int, run: Int, saturation: Float?) throws -> (frame: [Float], saturated: Int) {
        func entries(_ kind: FrameKind) -> [FrameEntry] {
            dataset.entries(kind, delay: delay, fluence: series.fluence, wavelength: series.wavelength, spot: series.spot, run: run)
        }
        if let given = entries(.dTT).first { return (try dataset.frame(given), 0) }
        guard let onEntry = entries(.pumpOn).first, let offEntry = entries(.pumpOff).first else {
            // Dataset.open has checked every point is complete; this is a programming error.
            preconditionFailure("delay \(delay), run \(run) of a checked dataset has no frames")
        }
        let on = try dataset.frame(onEntry), off = try dataset.frame(offEntry)
        // The dark frame that names the most axes of this point (one taken here beats a general one).
        func specificity(_ e: FrameEntry) -> Int { [e.delay, e.fluence, e.wavelength, e.spot, e.run].compactMap { $0 }.count }
        let dark = try entries(.dark).max { specificity($0) < specificity($1) }.map { try dataset.frame($0) }
        var result = [Float](repeating: .nan, count: on.count)
        var saturated = 0
        let level = saturation ?? .infinity
        for k in on.indices {
            if on[k] >= level || off[k] >= level { saturated += 1; continue }
            let reference = off[k] - (dark?[k] ?? 0)
            if reference > 0 { result[k] = (on[k] - off[k]) / reference }
        }
        return (result, saturated)
    }
}
