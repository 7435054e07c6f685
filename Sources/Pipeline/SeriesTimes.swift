import Foundation
import Transport

/// Each analysed series' time zero and delay shift, from the fits.json beside the fits that were
/// analysed (`femtofit fit` of a dataset lists them under `series`), onto analysis.json's blocks.
enum SeriesTimes {
    static func attach(to blocks: inout [AnalysisDocument.Block], fitsPath: String) {
        let record = ((fitsPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("fits.json")
        guard let data = FileManager.default.contents(atPath: record) else { return }
        struct Record: Decodable { var series: [SeriesRecord]? }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let series = (try? decoder.decode(Record.self, from: data))?.series, !series.isEmpty else { return }
        func same(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) <= 1e-9 * max(1, abs(b)) } ?? false }
        for i in blocks.indices {
            let key = blocks[i].key
            // One series: fits.csv carries no series columns, and the one record is its.
            let match = series.count == 1 && blocks.count == 1 ? series.first
                : series.first { same(key.fluence, $0.fluence) && same(key.wavelengthNm, $0.wavelengthNm) && key.spot == $0.spot }
            guard let match else { continue }
            blocks[i].timeZeroFs = match.timeZeroFs
            blocks[i].delayShiftFs = match.delayShiftFs
        }
    }
}
