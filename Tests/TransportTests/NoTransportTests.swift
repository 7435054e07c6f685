import FemtofitTestSupport
import FitCore
import Foundation
import Transport
import XCTest

/// Series that hold no transport give none: no band-like regime, no D_max, and a note that says
/// why, while paper-like series still report theirs. Deterministic cases hold for every seed;
/// noise alone and one wild frame stay within the growth test's false-positive rate.
final class NoTransportTests: XCTestCase {
    let delays = SimulatedWidths.paperDelays()
    let precision = 0.3

    /// Widths sigma(t) with the simulated fits' noise; frames before time zero carry none.
    func widths(_ sigma: (Double) -> Double, seed: UInt64, noise: Bool = true) -> (sigmas: [Double], errors: [Double]) {
        var random = SeededRandom(seed: seed)
        let sigmas = delays.map { t in t < 0 ? .nan : sigma(t) + (noise ? precision * random.normal() : 0) }
        return (sigmas, delays.map { t in t < 0 ? .nan : precision })
    }

    func analyse(_ w: (sigmas: [Double], errors: [Double]), delays: [Double]? = nil) throws -> TransportAnalysis {
        let d = delays ?? self.delays
        return try TransportAnalysis(delays: d, sigmas: w.sigmas, errors: w.errors, valid: w.sigmas.map(\.isFinite))
    }

    func assertNoTransport(_ a: TransportAnalysis, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(a.bandLike.present, context, file: file, line: line)
        XCTAssertNil(a.dMax, context, file: file, line: line)
        XCTAssertNil(a.mobility, context, file: file, line: line)
        XCTAssertTrue(a.regimes.isEmpty, context, file: file, line: line)
        XCTAssertTrue(a.notes.contains { $0.hasPrefix("no transport reported") }, "\(context): \(a.notes)", file: file, line: line)
    }

    /// Constant widths (exactly, and with a shrinking trend under noise): never transport, for
    /// every seed; the shrinking ones are named as such. Too few frames are refused, not analysed.
    func testDeterministicNoTransportForEverySeed() throws {
        let seed = freshSeed(101)
        let constant = try analyse(widths({ _ in 150 }, seed: seed, noise: false))
        assertNoTransport(constant, "constant widths")
        XCTAssertEqual(constant.growth.verdict, .flat)
        for k in 0..<50 {
            let s = seed &+ UInt64(k)
            // From 160 nm down to 140 nm over the log-spaced delays, under the fits' noise.
            let shrinking = try analyse(widths({ t in 160 - 20 * log(t / 20) / log(1e6 / 20) }, seed: s))
            assertNoTransport(shrinking, "shrinking widths, seed \(s)")
            XCTAssertEqual(shrinking.growth.verdict, .shrinks, "seed \(s)")
            XCTAssertTrue(shrinking.notes.contains { $0.contains("decreases with delay") }, "\(shrinking.notes)")
        }
        let few = Array(delays.prefix(8))  // three before time zero, five after: fewer than the six the model needs
        XCTAssertThrowsError(try TransportAnalysis(delays: few, sigmas: few.map { $0 < 0 ? .nan : 150 + $0 / 100 },
                                                   errors: few.map { _ in 0.3 }, valid: few.map { $0 >= 0 })) {
            XCTAssertTrue("\($0)".contains("at least 6"), "\($0)")
        }
    }

    /// Constant widths with noise, and with one frame off by 5-100 standard errors: at most 1 %
    /// of 200 seeds report transport (the test's rate is 0.1 %); paper-like series, with the same
    /// noise, all report their band-like regime.
    func testNoiseAndOneOutlierStayWithinTheFalsePositiveRate() throws {
        let seed = freshSeed(102)
        var calledGrowing = 0
        for k in 0..<200 {
            let s = seed &+ UInt64(k)
            var random = SeededRandom(seed: s ^ 0xABCD)
            let noisy = widths({ _ in 150 }, seed: s)
            var outlier = noisy
            let frame = 3 + Int(random.uniform() * Double(delays.count - 3))
            outlier.sigmas[frame] += [5.0, 10, 30, 100][k % 4] * precision
            for (name, w) in [("noise", noisy), ("outlier", outlier)] {
                let a = try analyse(w)
                if a.bandLike.present || a.dMax != nil { calledGrowing += 1 }
                if a.growth.verdict != .grows { assertNoTransport(a, "\(name), seed \(s)") }
            }
        }
        XCTAssertLessThanOrEqual(calledGrowing, 4, "seed \(seed): \(calledGrowing) of 400 series without transport reported some")
        // Paper-like series all grow; their first regime is band-like, or undetermined (about
        // 2.2 % by design, see `TransportAnalysis.bandLikeSupport`), or, at the rejection test's
        // 0.1 % false-alarm rate, sub-diffusive (measured over 3 000 seeds: 65 undetermined, 3
        // sub-diffusive; seen once in CI at 66683d4, seed 2251371151688566723). At most one of 20
        // is sub-diffusive: two would happen by chance about twice in 10 000 runs.
        var undetermined = 0, subDiffusive = 0
        for k in 0..<20 {
            let s = seed &+ 1_000 &+ UInt64(k)
            let w = SimulatedWidths(.pureFilm, precision: precision, seed: s)
            let a = try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)
            XCTAssertEqual(a.growth.verdict, .grows, "seed \(s)")
            switch a.regimes.first?.kind {
            case .undetermined: undetermined += 1
            case .subDiffusive:
                subDiffusive += 1
                XCTAssertFalse(a.bandLike.present, "seed \(s): a sub-diffusive first regime carries no band-like numbers")
            default:
                XCTAssertTrue(a.bandLike.present, "seed \(s): \(a.notes)")
                XCTAssertNotNil(a.dMax, "seed \(s)")
            }
        }
        XCTAssertLessThanOrEqual(undetermined, 4, "seed \(seed): \(undetermined) of 20 paper-like series left undetermined")
        XCTAssertLessThanOrEqual(subDiffusive, 1, "seed \(seed): \(subDiffusive) of 20 paper-like series called sub-diffusive")
    }

    /// analysis.json of a series without transport: band_like absent with its reason, D_max null,
    /// no regimes, and no NaN or negative number anywhere; fitted frames without a usable delay or
    /// width are counted and named.
    func testTheDocumentHoldsNullsAndNotesNotNaN() throws {
        // Noisy constant widths whose growth test says flat or shrinking: the growth test's 0.1 %
        // false alarm would fit regimes here, so a seed that trips it is skipped for the next.
        var seed = freshSeed(103)
        while try analyse(widths({ _ in 150 }, seed: seed)).growth.verdict == .grows { seed &+= 1 }
        var w = widths({ _ in 150 }, seed: seed)
        var d = delays
        d[10] = .nan
        w.sigmas[20] = .infinity
        let table = "index,delay_fs,sigma_nm,sigma_nm_err,state\n" + d.indices.map { k in
            "\(k),\(d[k]),\(w.sigmas[k]),\(w.errors[k]),\(d[k] < 0 ? "invalid_input" : "converged")"
        }.joined(separator: "\n") + "\n"
        let outcome = try TransportAnalyzer.analyse(try FitsTable(csv: table, source: "fits.csv", pixelSize: nil), settings: .init())
        let document = AnalysisDocument(femtofitVersion: "test", input: "fits.csv", settings: .init(), pixelSizeNm: nil,
                                        blocks: outcome.blocks, notes: outcome.notes)
        let text = String(decoding: try document.json(), as: UTF8.self)
        XCTAssertFalse(text.lowercased().contains("nan"), text)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: try document.json()) as? [String: Any])
        XCTAssertTrue(json["d_max_cm2_s"] is NSNull)
        let band = try XCTUnwrap(json["band_like"] as? [String: Any])
        XCTAssertEqual(band["present"] as? Bool, false)
        // Flat widths: "does not grow significantly", or (at the narrowing test's 0.1 % false-alarm
        // rate, seen once in CI at 265b769) "decreases with delay"; either way no transport.
        let reason = band["reason"] as? String ?? ""
        XCTAssertTrue(reason.contains("does not grow significantly") || reason.contains("decreases with delay"), "\(band)")
        XCTAssertEqual((json["regimes"] as? [Any])?.count, 0)
        let notes = try XCTUnwrap(json["notes"] as? [String])
        XCTAssertTrue(notes.contains { $0.contains("2 fitted frame(s) left out") && $0.contains("frame 11") }, "\(notes)")
        // Every stderr in the document is null or a non-negative number.
        func walk(_ value: Any, _ key: String) {
            if let object = value as? [String: Any] { for (k, v) in object { walk(v, k) } }
            else if let array = value as? [Any] { for v in array { walk(v, key) } }
            else if key == "stderr", let number = value as? Double { XCTAssertGreaterThanOrEqual(number, 0) }
        }
        walk(json, "")
    }
}

/// The first regime's label follows its stated test on short, noisy series, where a free fit can
/// stop in a local minimum: the fit with alpha_1 held at 1 is never better than the free fit the
/// numbers come from; `band_like` has positive support (the 95 % interval of alpha shown reaches
/// 1), `sub_diffusive` has alpha >= 1 rejected at 0.1 %, and `undetermined` lies between, with
/// its reason and no band-like numbers.
final class BandLikeLabelTests: XCTestCase {
    func testTheLabelFollowsTheLikelihoodRatioTest() throws {
        let seed = freshSeed(104)
        var checked = 0
        for k in 0..<120 where check(seed: seed &+ UInt64(k)) { checked += 1 }
        XCTAssertGreaterThan(checked, 30, "seed \(seed): too few series grew to test the label on")
    }

    /// Noise-free widths whose first regime grows with alpha 0.9 up to 300 fs, then 0.5: the
    /// statistic of alpha_1 = 1 scales as 1/precision^2, so the precision sets where it falls. The
    /// same series is band-like when the errors are wide, undetermined in between and
    /// sub-diffusive when they are tight, and the interval shown agrees with the label each time.
    func testTheUndeterminedMiddleFollowsTheInterval() throws {
        let delays = SimulatedWidths.paperDelays()
        func msd(_ t: Double) -> Double { t <= 300 ? 40 * pow(t, 0.9) : 40 * pow(300, 0.9) * pow(t / 300, 0.5) }
        func analyse(precision: Double) throws -> TransportAnalysis {
            let sigmas = delays.map { t in t < 0 ? Double.nan : (141 * 141 + msd(t)).squareRoot() }
            return try TransportAnalysis(delays: delays, sigmas: sigmas, errors: delays.map { _ in precision }, valid: sigmas.map(\.isFinite))
        }
        let reference = try analyse(precision: 1)
        XCTAssertEqual(reference.regimes.first?.alpha.value ?? .nan, 0.9, accuracy: 0.01, "\(reference.regimes)")
        let statistic = reference.bandLikeTest.chiSquareIncrease
        XCTAssertGreaterThan(statistic, 0)
        for (target, kind) in [(1.5, TransportAnalysis.Kind.bandLike), (7, .undetermined), (30, .subDiffusive)] {
            let a = try analyse(precision: (statistic / target).squareRoot())
            let context = "target chi^2 \(target): \(a.bandLikeTest), regimes \(a.regimes.map { "\($0.kind.rawValue) a=\($0.alpha.printed(digits: 3))" }); \(a.notes)"
            XCTAssertEqual(a.bandLikeTest.chiSquareIncrease, target, accuracy: 0.05 * target, context)
            let first = try XCTUnwrap(a.regimes.first, context)
            XCTAssertEqual(first.kind, kind, context)
            XCTAssertEqual(first.alpha.ci95[1] >= 1, kind == .bandLike, context)
            XCTAssertEqual(a.bandLike.present, kind == .bandLike, context)
            XCTAssertEqual(a.dMax != nil, kind == .bandLike, context)
            if kind == .undetermined {
                XCTAssertTrue(a.bandLike.reason?.contains("undetermined") ?? false, context)
                XCTAssertTrue(a.bandLike.reason?.contains("does not reach 1") ?? false, context)
            }
        }
    }

    /// A seed whose free refit from the alpha_1 = 1 fit left a segment with too few frames, so the
    /// reported free fit was worse than the constrained one (found by CI's fresh seeds).
    func testASeedWhoseFreeRefitLostASegment() {
        XCTAssertTrue(check(seed: 531_262_016_862_699_317))
    }

    /// A seed whose alpha_1 = 1 fit, made from the refitted free optimum, came out below that free
    /// fit's chi^2 (found by CI's fresh seeds at 4cd8e92): the free fit was still not the optimum.
    func testASeedWhoseConstrainedFitBeatTheRefittedFreeFit() {
        XCTAssertTrue(check(seed: 928_028_665_018_494_002))
    }

    /// One short noisy series from `s`; false when it did not grow into regimes to check.
    func check(seed s: UInt64) -> Bool {
        var random = SeededRandom(seed: s)
        let delays = (1...12).map { 50 * pow(2, Double($0) * random.uniform(0.8...1.2)) }.sorted()
        var truth = TransportTruth.pureFilm
        truth.hoppingExponent = random.uniform(0.3...1.2)
        let precision = random.uniform(0.5...3)
        let w = SimulatedWidths(truth, delays: delays, precision: precision, seed: s ^ 0x5EED)
        guard let a = try? TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid),
              let first = a.regimes.first else { return false }
        XCTAssertEqual(a.bandLike.present, first.kind == .bandLike, "seed \(s)")
        let test = a.bandLikeTest
        switch first.kind {
        case .bandLike:
            XCTAssertLessThan(test.chiSquareIncrease, TransportAnalysis.bandLikeSupport, "seed \(s)")
            XCTAssertGreaterThanOrEqual(first.alpha.ci95[1], 1 - 1e-9, "seed \(s): band-like, yet alpha's interval does not reach 1: \(first.alpha)")
        case .undetermined:
            XCTAssertGreaterThanOrEqual(test.chiSquareIncrease, TransportAnalysis.bandLikeSupport, "seed \(s)")
            XCTAssertLessThan(test.chiSquareIncrease, TransportAnalysis.bandLikeRejection, "seed \(s)")
            XCTAssertLessThan(first.alpha.ci95[1], 1, "seed \(s): \(first.alpha)")
            XCTAssertNil(a.dMax, "seed \(s)")
        case .subDiffusive:
            XCTAssertGreaterThanOrEqual(test.chiSquareIncrease, TransportAnalysis.bandLikeRejection, "seed \(s)")
        default:
            XCTFail("seed \(s): first regime \(first.kind)")
        }
        if first.alpha.value < 1, !test.wald {
            // The error shown is the one the test used: ((1 - alpha)/se)^2 is the statistic.
            XCTAssertEqual(pow((1 - first.alpha.value) / first.alpha.stderr, 2), test.chiSquareIncrease, accuracy: 1e-6 * max(1, test.chiSquareIncrease), "seed \(s)")
        }
        if first.alpha.value < 1, let constrained = test.constrainedChiSquare, let chosen = a.segmentation?.chosen {
            XCTAssertGreaterThanOrEqual(constrained, chosen.chiSquare * (1 - 1e-9) - 1e-9, "seed \(s): the free fit is not the optimum")
        }
        return true
    }
}
