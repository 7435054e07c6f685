/// Where a fit sits in a dataset's grid: `fluence` is the series' <N_abs> where the dataset gives
/// it, else its fluence index; `spot` is the spot index. Fits of one stack or of raw ROIs have none.
public struct SeriesLabel: Sendable, Hashable, Codable {
    public var fluence: Double
    public var wavelengthNm: Double
    public var spot: Int
    public init(fluence: Double, wavelengthNm: Double, spot: Int) { self.fluence = fluence; self.wavelengthNm = wavelengthNm; self.spot = spot }
}
