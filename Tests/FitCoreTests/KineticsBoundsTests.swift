import FitCore
import XCTest

/// The kinetics models' default bounds (issue 17): physical ranges from each fit's own delays
/// where the caller left a side open; the caller's bounds win.
final class KineticsBoundsTests: XCTestCase {
    func kineticsBatch(_ coordinates: FitCoordinates, fits: Int, points: Int, lower: [Double]? = nil, upper: [Double]? = nil) -> FitBatch {
        var data = [Float](repeating: 0, count: fits * points)
        for i in data.indices { data[i] = i % points > points / 3 ? Float(1 + (i % 5)) * 0.1 : 0 }
        return FitBatch(model: .kinetics2, fitCount: fits, pointCount: points, data: data, coordinates: coordinates,
                        lowerBounds: lower, upperBounds: upper)
    }

    func testOpenSidesGetBoundsFromTheDelays() throws {
        // Delays -500 ... 2000 fs: smallest step 20 fs (the early ones), span 2500 fs.
        let delays = (0..<26).map { -500 + 20 * Double($0) } + (1...10).map { 200 * Double($0) }
        let prepared = try PreparedFits(kineticsBatch(.sharedX(delays), fits: 3, points: delays.count), settings: FitSettings())
        // kinetics2: amplitude_1, tau_1, amplitude_2, tau_2, t0, irf_sigma, offset.
        for fit in 0..<3 {
            let lo = Array(prepared.lower[fit * 7 ..< fit * 7 + 7]), hi = Array(prepared.upper[fit * 7 ..< fit * 7 + 7])
            XCTAssertEqual(lo[1], 2, accuracy: 1e-12); XCTAssertEqual(hi[1], 25_000, accuracy: 1e-9)
            XCTAssertEqual(lo[3], 2, accuracy: 1e-12); XCTAssertEqual(hi[3], 25_000, accuracy: 1e-9)
            XCTAssertEqual(lo[4], -500); XCTAssertEqual(hi[4], 2000)
            XCTAssertEqual(lo[5], 2, accuracy: 1e-12); XCTAssertEqual(hi[5], 2500)
            for j in [0, 2, 6] { XCTAssertEqual(lo[j], -.infinity); XCTAssertEqual(hi[j], .infinity) }
            for j in 0..<7 { XCTAssertTrue(lo[j] <= prepared.start[fit * 7 + j] && prepared.start[fit * 7 + j] <= hi[j], "start \(j) inside") }
        }
    }

    func testEachFitsOwnDelaysInAnyOrderAndGivenBoundsWin() throws {
        // Fit 0: 0, 10, ..., 90 shuffled (step 10, span 90); fit 1: 0, 50, ..., 450 (step 50).
        let a = [30.0, 0, 90, 10, 60, 20, 80, 40, 70, 50], b = (0..<10).map { 50 * Double($0) }
        var lower = [Double](repeating: .nan, count: 14), upper = [Double](repeating: .infinity, count: 14)
        lower[7 + 1] = 7     // fit 1: tau_1 >= 7 fs, given
        upper[7 + 4] = 100   // fit 1: t0 <= 100 fs, given
        let batch = kineticsBatch(.perFitX((a + b).map { Float($0) }), fits: 2, points: 10, lower: lower, upper: upper)
        let prepared = try PreparedFits(batch, settings: FitSettings())
        XCTAssertEqual(prepared.lower[1], 1, accuracy: 1e-6); XCTAssertEqual(prepared.upper[1], 900, accuracy: 1e-4)
        XCTAssertEqual(prepared.lower[4], 0); XCTAssertEqual(prepared.upper[4], 90)
        XCTAssertEqual(prepared.lower[7 + 1], 7); XCTAssertEqual(prepared.upper[7 + 1], 4500, accuracy: 1e-3)
        XCTAssertEqual(prepared.lower[7 + 3], 5, accuracy: 1e-6)
        XCTAssertEqual(prepared.lower[7 + 4], 0); XCTAssertEqual(prepared.upper[7 + 4], 100)
    }

    func testDelaysWithoutTwoDistinctValuesKeepTheOldFloor() throws {
        XCTAssertNil(KineticsBounds(delays: [5.0, 5, 5]))
        XCTAssertNil(KineticsBounds(delays: [Double.nan, 1]))
        let prepared = try PreparedFits(kineticsBatch(.sharedX([5, 5, 5, 5, 5, 5, 5, 5, 5]), fits: 1, points: 9), settings: FitSettings())
        XCTAssertEqual(prepared.lower[1], ModelID.minimumPositiveValue)
        XCTAssertEqual(prepared.upper[1], .infinity)
    }
}
