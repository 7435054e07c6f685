import Transport

/// What preprocessing found for one series of a dataset that a reader needs as data, not only as
/// a note: its time zero (on the acquired delay axis) and what was added to its delays. fits.json
/// lists these under `series`, fits.h5 in its `series` group, and analysis.json with each series.
public struct SeriesRecord: Sendable, Codable, Equatable {
    public var fluence: Double
    public var wavelengthNm: Double
    public var spot: Int
    /// The rise's t0, fs, with its standard error and 95 % interval; nil when none was found.
    public var timeZeroFs: Transport.Estimate?
    /// Whether the delays were moved by it (`TimeZero.problem` says why not).
    public var timeZeroUsed: Bool
    /// Added to every acquired delay, fs (-t0 when used, else 0). Frames within the response also
    /// get their effective delay (`TimeZero.effectiveDelay`).
    public var delayShiftFs: Double
    /// The instrument response's FWHM the rise gave, fs; nil without a fit.
    public var irfFwhmFs: Double?

    public init(label: SeriesLabel, prepared: Preprocessing.Series) {
        fluence = label.fluence; wavelengthNm = label.wavelengthNm; spot = label.spot
        timeZeroFs = prepared.timeZero?.asEstimate
        timeZeroUsed = prepared.timeZeroUsed
        delayShiftFs = prepared.delayShiftFs
        irfFwhmFs = prepared.timeZero?.irfFWHM
    }

    /// fits.h5's `series` group: one dataset per field, one row per series; NaN where a series has
    /// no time zero, and `time_zero_used` 0 or 1.
    static func writeH5(_ records: [SeriesRecord], to sink: HDF5FitSink) throws {
        guard !records.isEmpty else { return }
        let n = records.count
        try sink.file.createGroup("series")
        func column(_ name: String, _ values: [Double]) throws { try sink.file.write("series/" + name, dimensions: [n], values: values, as: .float64) }
        try column("fluence", records.map(\.fluence))
        try column("wavelength_nm", records.map(\.wavelengthNm))
        try sink.file.write("series/spot", dimensions: [n], values: records.map { Int64($0.spot) }, as: .int64)
        try column("time_zero_fs", records.map { $0.timeZeroFs?.value ?? .nan })
        try column("time_zero_stderr_fs", records.map { $0.timeZeroFs?.stderr ?? .nan })
        try sink.file.write("series/time_zero_ci95_fs", dimensions: [n, 2], values: records.flatMap { $0.timeZeroFs?.ci95 ?? [.nan, .nan] }, as: .float64)
        try sink.file.write("series/time_zero_used", dimensions: [n], values: records.map { Int32($0.timeZeroUsed ? 1 : 0) }, as: .int32)
        try column("delay_shift_fs", records.map(\.delayShiftFs))
        try column("irf_fwhm_fs", records.map { $0.irfFwhmFs ?? .nan })
    }
}
