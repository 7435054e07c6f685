import Transport
import XCTest

/// The analysis' intervals are honest: over 50 fixed-seed repeats the 95 % intervals of D_max and
/// of the band-like length contain the truth at least 90 % of the time, without buying coverage
/// by width (median half-width at most 2.5x the scatter of the estimates).
final class UncertaintyCoverageTests: XCTestCase {
    struct Tally {
        var reported = 0
        var dMaxCovered = 0
        var lengthCovered = 0
        var dMaxValues: [Double] = []
        var lengthValues: [Double] = []
        var dMaxHalfWidths: [Double] = []
        var lengthHalfWidths: [Double] = []
        var declined: [String] = []
    }

    func repeats(_ truth: TransportTruth, precision: Double, count: Int = 50) throws -> Tally {
        var tally = Tally()
        for r in 0..<count {
            let w = SimulatedWidths(truth, precision: precision, seed: 0xC0FE + UInt64(r) * 7919)
            let a = try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)
            guard let dMax = a.dMax, let length = a.bandLike.lengthNm else {
                tally.declined.append(a.bandLike.reason ?? "no reason given")
                continue
            }
            tally.reported += 1
            if dMax.contains(truth.bandDiffusivity) { tally.dMaxCovered += 1 }
            if length.contains(truth.bandLikeLength) { tally.lengthCovered += 1 }
            tally.dMaxValues.append(dMax.value)
            tally.lengthValues.append(length.value)
            tally.dMaxHalfWidths.append((dMax.ci95[1] - dMax.ci95[0]) / 2)
            tally.lengthHalfWidths.append((length.ci95[1] - length.ci95[0]) / 2)
        }
        return tally
    }

    static func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
    static func standardDeviation(_ v: [Double]) -> Double {
        let m = v.reduce(0, +) / Double(v.count)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
    }

    func testOneNanometreIntervalsAreHonest() throws {
        let truth = TransportTruth.pureFilm
        let t = try repeats(truth, precision: 1)
        let summary = "reported \(t.reported)/50, D_max covered \(t.dMaxCovered), length covered \(t.lengthCovered); "
            + "D_max median half-width \(Self.median(t.dMaxHalfWidths)) vs sd \(Self.standardDeviation(t.dMaxValues)); "
            + "length \(Self.median(t.lengthHalfWidths)) vs \(Self.standardDeviation(t.lengthValues)); declined: \(t.declined)"
        print(summary)
        XCTAssertGreaterThanOrEqual(t.reported, 45, summary)
        XCTAssertGreaterThanOrEqual(Double(t.dMaxCovered), 0.9 * Double(t.reported), summary)
        XCTAssertGreaterThanOrEqual(Double(t.lengthCovered), 0.9 * Double(t.reported), summary)
        XCTAssertLessThanOrEqual(Self.median(t.dMaxHalfWidths), 2.5 * Self.standardDeviation(t.dMaxValues), summary)
        XCTAssertLessThanOrEqual(Self.median(t.lengthHalfWidths), 2.5 * Self.standardDeviation(t.lengthValues), summary)
    }

    func testPaperNoiseIntervalsAreHonestWhenReported() throws {
        let truth = TransportTruth.pureFilm
        let t = try repeats(truth, precision: 10)
        let summary = "reported \(t.reported)/50, D_max covered \(t.dMaxCovered), length covered \(t.lengthCovered); "
            + "D_max values \(t.dMaxValues.map { Int($0) }); declined reasons: \(Set(t.declined))"
        print(summary)
        XCTAssertGreaterThanOrEqual(Double(t.dMaxCovered), 0.9 * Double(t.reported), summary)
        XCTAssertGreaterThanOrEqual(Double(t.lengthCovered), 0.9 * Double(t.reported), summary)
        XCTAssertEqual(t.declined.count, 50 - t.reported)
        XCTAssertTrue(t.declined.allSatisfy { !$0.isEmpty })
    }
}
