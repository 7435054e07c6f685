/// Energetic disorder for each (fluence, spot) of a table that scans three or more probe
/// wavelengths: at each delay the bleach-peak energy from the fitted amplitudes across wavelengths
/// (`BleachPeak`), then `EnergeticDisorder` on those energies. Groups that cannot be read (peak
/// outside the scan, no red shift) give a note instead.
public enum DisorderFromScan {
    public struct Result: Sendable {
        public var key: FitsTable.SeriesKey
        public var delays: [Double]
        public var peakEnergiesEV: [Double]
        public var disorder: EnergeticDisorder
    }

    public static func analyse(_ table: FitsTable, temperature: Double) -> (results: [Result], notes: [String]) {
        var groups: [FitsTable.SeriesKey: [FitsTable.Series]] = [:]
        for s in table.series where s.key.wavelengthNm != nil {
            groups[FitsTable.SeriesKey(fluence: s.key.fluence, wavelengthNm: nil, spot: s.key.spot), default: []].append(s)
        }
        var results: [Result] = [], notes: [String] = []
        for (key, members) in groups.sorted(by: { $0.key < $1.key }) where members.count >= 3 {
            let wavelengths = members.map { $0.key.wavelengthNm! }
            let delays = Set(members.flatMap(\.delays)).sorted().filter { $0 > 0 }
            var t: [Double] = [], energies: [Double] = []
            for delay in delays {
                let signal = members.map { m -> Double in
                    guard let i = m.delays.firstIndex(of: delay), m.valid[i] else { return .nan }
                    return m.amplitudes[i]
                }
                if let e = BleachPeak.energy(wavelengthsNm: wavelengths, signal: signal) { t.append(delay); energies.append(e) }
            }
            do {
                let d = try EnergeticDisorder(delays: t, energies: energies, temperature: temperature)
                results.append(Result(key: key, delays: t, peakEnergiesEV: energies, disorder: d))
            } catch {
                notes.append("\(key.label): no disorder reading from the wavelength scan: \(error)")
            }
        }
        return (results, notes)
    }
}
