import Transport
import XCTest
import FemtofitTestSupport

/// The analysis recovers the simulated physics on clean data (per-frame sigma precision 0.3 nm):
/// D_max within 5 %, the band-like length within 5 nm, the persistence within 25 %, and exactly
/// the regimes that were simulated.
///
/// Fixed seeds, five per case: a band-like regime is left undetermined in about 2.5 % of series
/// by design (its label needs alpha's 95 % interval to reach 1; the rate is checked on fresh
/// seeds below), and a fourth segment passes the BIC rarely, so fresh seeds would fail some runs
/// for reasons that are the statistics working, not a defect.
final class RegimeRecoveryTests: XCTestCase {
    static let seeds: [UInt64] = [11, 12, 13, 14, 15]

    func analyse(_ truth: TransportTruth, precision: Double, seed: UInt64) throws -> TransportAnalysis {
        let w = SimulatedWidths(truth, precision: precision, seed: seed)
        return try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)
    }

    func assertBandLikeRecovered(_ truth: TransportTruth, name: String) throws {
        for seed in Self.seeds { try assertBandLikeRecovered(truth, name: name, seed: seed) }
    }

    func assertBandLikeRecovered(_ truth: TransportTruth, name: String, seed: UInt64) throws {
        let a = try analyse(truth, precision: 0.3, seed: seed)
        let context = "\(name), seed \(seed): regimes \(a.regimes.map { "\($0.kind.rawValue) \($0.startFs.value)-\($0.endFs.value) a=\($0.alpha.value)" })"
        XCTAssertEqual(a.regimes.map(\.kind), [.bandLike, .subDiffusive, .subDiffusive], context)
        let dMax = try XCTUnwrap(a.dMax, context)
        XCTAssertEqual(dMax.value, truth.bandDiffusivity, accuracy: 0.05 * truth.bandDiffusivity, context)
        let length = try XCTUnwrap(a.bandLike.lengthNm, context)
        XCTAssertEqual(length.value, truth.bandLikeLength, accuracy: 5, context)
        let persistence = try XCTUnwrap(a.bandLike.persistenceFs, context)
        XCTAssertEqual(persistence.value, truth.bandEnd, accuracy: 0.25 * truth.bandEnd, context)
        XCTAssertEqual(a.regimes[1].endFs.value, truth.thermalStart, accuracy: 0.5 * truth.thermalStart, context)
        XCTAssertEqual(a.regimes[1].alpha.value, truth.hoppingExponent, accuracy: 0.05, context)
        XCTAssertEqual(a.regimes[2].alpha.value, truth.thermalExponent, accuracy: 0.05, context)
        XCTAssertEqual(a.sigma0Nm.value, truth.sigma0, accuracy: 1, context)
        XCTAssertTrue(a.sigma0Nm.contains(truth.sigma0) || abs(a.sigma0Nm.value - truth.sigma0) < 3 * a.sigma0Nm.stderr, context)
        let mobility = try XCTUnwrap(a.mobility)
        XCTAssertEqual(mobility.value, dMax.value / (8.617333262e-5 * 300), accuracy: 1e-6 * mobility.value)
        print("\(name): D_max \(dMax.value) ± \(dMax.stderr) (truth \(truth.bandDiffusivity)), length \(length.value) ± \(length.stderr) (truth \(truth.bandLikeLength)), persistence \(persistence.value) ± \(persistence.stderr) (truth \(truth.bandEnd)); \(context)")
    }

    func testPureFilmIsRecoveredFromCleanWidths() throws {
        try assertBandLikeRecovered(.pureFilm, name: "pure CQD film")
    }

    /// On fresh seeds, paper-like band-like regimes are labelled band-like except at the stated
    /// rates: about 2.5 % undetermined (measured 2.25 % and 1.25 % of 400 series of the two
    /// band-like samples), at most 8 % here; sub-diffusive (alpha >= 1 rejected at 0.1 %; measured
    /// 3 of 3 000 pure-film series; seed 2150468709450924456 of the 40 vol% sample is one, with
    /// chi^2 12.2) at most 3 of 200. Either bound fails by chance about once in 10^4 runs.
    func testBandLikeIsLeftUndeterminedOnlyAtItsStatedRate() throws {
        let seed = freshSeed(0xBA9D)
        for (name, truth) in [("pure film", TransportTruth.pureFilm), ("40 vol%", .heterostructure40)] {
            var undetermined = 0, subDiffusive = 0, other: [String] = []
            for k in 0..<200 {
                let a = try analyse(truth, precision: 0.3, seed: seed &+ UInt64(k))
                switch a.regimes.first?.kind {
                case .bandLike?: break
                case .undetermined?: undetermined += 1
                case .subDiffusive?: subDiffusive += 1
                default: other.append("seed \(seed &+ UInt64(k)): \(a.regimes.map(\.kind.rawValue))")
                }
            }
            XCTAssertLessThanOrEqual(undetermined, 16, "\(name), seed \(seed): \(undetermined) of 200 undetermined")
            XCTAssertLessThanOrEqual(subDiffusive, 3, "\(name), seed \(seed): \(subDiffusive) of 200 sub-diffusive")
            XCTAssertEqual(other, [], "\(name)")
        }
    }

    /// One faint late frame fitted to a narrow blob of noise (70 nm, with the large error such a
    /// fit has, so it carries almost no weight) once capped
    /// sigma_0^2 below the truth, since its bound came from the smallest width of all frames, and
    /// every model then fell into a wrong optimum: no band-like regime. The bound now comes from
    /// the earliest frames; the late frame is one bad point among many.
    func testOneNarrowLateFrameDoesNotCapSigmaZero() throws {
        let seed = freshSeed(0x51C0)
        var w = SimulatedWidths(.pureFilm, precision: 0.3, seed: seed)
        let late = w.delays.count - 2
        w.sigmas[late] = 70
        w.errors[late] = 1000
        let a = try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)
        let context = "seed \(seed): regimes \(a.regimes.map { "\($0.kind.rawValue) \($0.startFs.value)-\($0.endFs.value) a=\($0.alpha.value)" })"
        // A fresh seed: the band-like regime is left undetermined in ~2.5 % of series by design,
        // and called sub-diffusive in ~0.1 % (`testBandLikeIsLeftUndeterminedOnlyAtItsStatedRate`),
        // then only just: alpha near 1. The late frame must not make it anything else.
        XCTAssertTrue([.bandLike, .undetermined, .subDiffusive].contains(a.regimes.first?.kind), context)
        if a.regimes.first?.kind == .subDiffusive { XCTAssertGreaterThan(a.regimes[0].alpha.value, 0.85, context) }
        XCTAssertEqual(a.sigma0Nm.value, TransportTruth.pureFilm.sigma0, accuracy: 2, context)
        if a.regimes.first?.kind == .bandLike {
            XCTAssertEqual(try XCTUnwrap(a.dMax, context).value, 102, accuracy: 0.1 * 102, context)
        } else {
            XCTAssertEqual(a.regimes.first?.alpha.value ?? 0, 1, accuracy: 0.1, context)
        }
    }

    func testHeterostructure40IsRecoveredFromCleanWidths() throws {
        try assertBandLikeRecovered(.heterostructure40, name: "40 vol% heterostructure")
    }

    func testHeterostructure90HasNoBandLikeRegime() throws {
        for seed in Self.seeds { try assertNoBandLike(seed: seed) }
    }

    func assertNoBandLike(seed: UInt64) throws {
        let truth = TransportTruth.heterostructure90
        let a = try analyse(truth, precision: 0.3, seed: seed)
        let context = "seed \(seed): regimes \(a.regimes.map { "\($0.kind.rawValue) \($0.startFs.value)-\($0.endFs.value) a=\($0.alpha.value)" })"
        XCTAssertEqual(a.regimes.map(\.kind), [.subDiffusive, .subDiffusive], context)
        XCTAssertFalse(a.bandLike.present, context)
        XCTAssertNil(a.dMax)
        XCTAssertNil(a.mobility)
        XCTAssertNotNil(a.bandLike.reason)
        XCTAssertEqual(a.regimes[0].alpha.value, truth.hoppingExponent, accuracy: 0.03, context)
    }
}
