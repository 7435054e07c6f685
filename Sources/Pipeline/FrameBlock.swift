import TAMData

/// A stretch of frames from a source, ready to be cut into ROIs and fitted: part of a TIFF stack,
/// a run of raw ROIs, or one dataset series. Everything a fit's output row needs besides the fit.
public struct FrameBlock: Sendable {
    public var frames: ImageStack
    /// Per-pixel variances of `frames` (dataset series), whose inverse weighs the fits.
    public var variances: ImageStack?
    /// When `variances` were measured from a few runs: what the fits' errors need besides them.
    public var measuredVariances: MeasuredVariances?
    /// The number of `frames`' first frame in its stack or series: the `index` column.
    public var firstFrame: Int
    /// The delay of each frame, fs (nil when the source has none).
    public var delays: [Double]?
    /// The series every frame of the block belongs to (datasets only).
    public var series: SeriesLabel?
    /// How each frame's ROI is chosen.
    public var roi: StackFitter.ROIChoice

    public init(frames: ImageStack, variances: ImageStack? = nil, firstFrame: Int, delays: [Double]? = nil,
                series: SeriesLabel? = nil, roi: StackFitter.ROIChoice) {
        self.frames = frames; self.variances = variances; self.firstFrame = firstFrame
        self.delays = delays; self.series = series; self.roi = roi
    }

    public var frameCount: Int { frames.frameCount }

    /// A preprocessed dataset series as a block: its frames, variances (measured), delays.
    public init(_ prepared: Preprocessing.Series, series: SeriesLabel? = nil, roi: StackFitter.ROIChoice) {
        self.init(frames: prepared.signal, variances: prepared.variance, firstFrame: 0, delays: prepared.delayFs, series: series, roi: roi)
        measuredVariances = prepared.measuredVariances
    }
}
