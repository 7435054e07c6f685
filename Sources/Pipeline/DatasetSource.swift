import Foundation
import TAMData

/// A dataset folder (docs/dataset-format.md) as a source: series by series (fluence x wavelength x
/// spot), each preprocessed (`Preprocessing`: dT/T, runs registered and averaged, variances,
/// background, time zero) into one block with its delays, variances and series label. Later spots
/// are registered onto spot 0 of their fluence and wavelength. Each series' dT/T frames are kept
/// as `dtt_f<F>_w<W>_s<S>.tif` in the outputs, for a look in Fiji.
public final class DatasetSource: FrameSource {
    public let name: String
    public let dataset: Dataset
    public let preprocessing: Preprocessing
    let roi: StackFitter.ROIChoice
    let series: [DifferentialStack.Series]
    /// What preprocessing did, series by series ("fluence 0, ...: background subtracted ...").
    public private(set) var notes: [String] = []
    /// Each series' time zero and delay shift, in the order read.
    public private(set) var records: [SeriesRecord] = []
    /// Where each series' dT/T stack is written (nil: not written).
    public var outputs: OutputSet?
    private var position = 0
    private var spotReferences: [[Int]: ImageStack] = [:]

    public init(_ path: String, preprocessing: Preprocessing, roi: StackFitter.ROIChoice) throws {
        name = path
        dataset = try Dataset.open(path)
        self.preprocessing = preprocessing
        self.roi = roi
        series = DifferentialStack.series(of: dataset)
    }

    public var manifest: DatasetManifest { dataset.manifest }
    public var frameCount: Int { series.count * manifest.axes.delayFs.count }
    public var pixelsPerFrame: Int { manifest.frameWidth * manifest.frameHeight }
    /// More than one series: outputs carry the series columns.
    public var isGrid: Bool { series.count > 1 }
    public var seriesCount: Int { series.count }

    /// The next series whole (a series is one block, whatever `maximum`).
    public func next(maximum: Int) throws -> FrameBlock? {
        guard position < series.count else { return nil }
        let s = series[position]
        position += 1
        let seriesName = "fluence \(s.fluence), wavelength \(s.wavelength), spot \(s.spot)"
        let reference = s.spot == 0 ? nil : spotReferences[[s.fluence, s.wavelength]]
        let prepared = try preprocessing.run(dataset, series: s, spotReference: reference)
        if s.spot == 0 { spotReferences[[s.fluence, s.wavelength]] = prepared.summedSignal }
        notes += prepared.notes.map { "\(seriesName): \($0)" }
        if let outputs {
            try TIFFStack.write(prepared.signal, to: outputs.path("dtt_f\(s.fluence)_w\(s.wavelength)_s\(s.spot).tif"),
                                imageJ: ImageJMetadata(pixelSize: manifest.pixelSizeNm, frameLabels: ImageJMetadata.delayLabels(manifest.axes.delayFs)))
        }
        let absorbed = try manifest.absorbedPerDot(fluence: s.fluence)
        if let note = absorbed.note, !notes.contains(note) { notes.append(note) }
        let label = SeriesLabel(fluence: absorbed.value ?? Double(s.fluence), wavelengthNm: manifest.axes.wavelengthNm[s.wavelength], spot: s.spot)
        records.append(SeriesRecord(label: label, prepared: prepared))
        return FrameBlock(prepared, series: label, roi: roi)
    }
}
