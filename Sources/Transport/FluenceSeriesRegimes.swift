import Foundation

/// Splits the sub-diffusive regimes of a fluence series (one wavelength and spot, several
/// fluences) into Auger-assisted and thermal hopping (docs/reference.md §2): Auger-assisted hopping is
/// where the MSD grows faster at higher fluence, thermal hopping has the same slope at every
/// fluence.
///
/// The k-th sub-diffusive regime of each fluence is compared across fluences (every fluence must
/// have the same number of them, or nothing is relabelled and a note says why). Stated criterion,
/// on the regime exponents alpha_i with their standard errors:
/// - `hopping` when the alphas are homogeneous: chi^2 = sum ((alpha_i - mean) / se_i)^2 below the
///   95 % point of chi^2 with (fluences - 1) degrees of freedom;
/// - else `auger_assisted` when the weighted regression of alpha on fluence has a positive slope
///   at more than 1.96 standard errors;
/// - otherwise left `sub_diffusive`, with a note.
public enum FluenceSeriesRegimes {
    /// Relabels `analyses` (one per fluence) in place; returns notes for the report.
    public static func classify(fluences: [Double], analyses: inout [TransportAnalysis]) -> [String] {
        precondition(fluences.count == analyses.count)
        guard Set(fluences).count >= 2 else { return [] }
        let subIndices = analyses.map { a in a.regimes.indices.filter { a.regimes[$0].kind == .subDiffusive } }
        guard let count = subIndices.first?.count, subIndices.allSatisfy({ $0.count == count }) else {
            return ["fluence series: the fluences have different numbers of sub-diffusive regimes (\(subIndices.map(\.count))); they are not split into Auger-assisted and hopping"]
        }
        var notes: [String] = []
        for k in 0..<count {
            let alphas = analyses.indices.map { analyses[$0].regimes[subIndices[$0][k]].alpha }
            guard alphas.allSatisfy({ $0.value.isFinite && $0.stderr.isFinite && $0.stderr > 0 }) else {
                notes.append("fluence series: sub-diffusive regime \(k + 1) has an exponent without a finite standard error at some fluence; left unsplit")
                continue
            }
            let w = alphas.map { 1 / ($0.stderr * $0.stderr) }
            let sw = w.reduce(0, +)
            let mean = zip(w, alphas).reduce(0) { $0 + $1.0 * $1.1.value } / sw
            let chi2 = zip(w, alphas).reduce(0) { $0 + $1.0 * ($1.1.value - mean) * ($1.1.value - mean) }
            let fMean = zip(w, fluences).reduce(0) { $0 + $1.0 * $1.1 } / sw
            let sxx = zip(w, fluences).reduce(0) { $0 + $1.0 * ($1.1 - fMean) * ($1.1 - fMean) }
            let sxy = zip(zip(w, fluences), alphas).reduce(0) { $0 + $1.0.0 * ($1.0.1 - fMean) * ($1.1.value - mean) }
            let slope = sxy / sxx, slopeError = (1 / sxx).squareRoot()
            let kind: TransportAnalysis.Kind
            let critical = ChiSquare.quantile95(degreesOfFreedom: fluences.count - 1)
            if chi2 < critical {
                kind = .hopping
            } else if slope > 1.96 * slopeError {
                kind = .augerAssisted
            } else {
                kind = .subDiffusive
                notes.append("fluence series: sub-diffusive regime \(k + 1) differs between fluences (chi^2 " + String(format: "%.2f >= %.2f", chi2, critical) + ") without growing with fluence; left unsplit")
            }
            for i in analyses.indices { analyses[i].regimes[subIndices[i][k]].kind = kind }
            notes.append("fluence series: sub-diffusive regime \(k + 1) is \(kind.rawValue) (d alpha / d fluence "
                         + String(format: "%.4g ± %.2g; homogeneity chi^2 %.2f", slope, slopeError, chi2) + " on \(fluences.count - 1) degrees of freedom)")
        }
        return notes
    }
}

/// The 95 % points of the chi^2 distribution (Wilson–Hilferty beyond the table).
enum ChiSquare {
    static func quantile95(degreesOfFreedom k: Int) -> Double {
        let table = [3.841, 5.991, 7.815, 9.488, 11.070, 12.592, 14.067, 15.507, 16.919, 18.307]
        if k >= 1 && k <= table.count { return table[k - 1] }
        let d = Double(max(k, 1)), z = 1.6449
        let c = 1 - 2 / (9 * d) + z * (2 / (9 * d)).squareRoot()
        return d * c * c * c
    }
}
