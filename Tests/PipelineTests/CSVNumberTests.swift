import FemtofitTestSupport
import FitCore
import Pipeline
import XCTest

/// fits.csv's numbers: exactly what `description` gives (float32's digits for a float32 run), and
/// text that reads back as the same value.
final class CSVNumberTests: XCTestCase {
    func text(_ v: Double, single: Bool) -> String {
        var bytes: [UInt8] = []
        CSVNumber.append(v, single: single, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    func testNumbersAreTheShortestTextThatReadsBack() {
        let seed = freshSeed(91)
        var generator = SeededRandom(seed: seed)
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 1e-45, 1e-300, 3.4028234663852886e38, 1e300, 123456789, 5e-324,
                                Double(Float.leastNonzeroMagnitude), Double(Float.greatestFiniteMagnitude), 1e39]
        for _ in 0..<20_000 {
            // Random bit patterns cover every exponent; finite ones only (nan and inf have their own words).
            let bits = generator.next()
            let v = Double(bitPattern: bits)
            if v.isFinite { values.append(v) }
            let single = Float(bitPattern: UInt32(truncatingIfNeeded: bits >> 7))
            if single.isFinite { values.append(Double(single)) }
            values.append(Double.random(in: -1e4...1e4, using: &generator))
        }
        for v in values {
            XCTAssertEqual(text(v, single: false), v.description, "seed \(seed)")
            XCTAssertEqual(Double(text(v, single: false)), v)
            let f = Float(v)
            if f.isFinite {
                XCTAssertEqual(text(v, single: true), f.description, "seed \(seed)")
                XCTAssertEqual(Float(text(v, single: true)), f)
            } else {
                XCTAssertEqual(text(v, single: true), v.description, "a float32 run's value beyond float32 is written in float64")
            }
        }
        XCTAssertEqual(text(.nan, single: true), "nan")
        XCTAssertEqual(text(.infinity, single: false), "inf")
        XCTAssertEqual(text(-.infinity, single: true), "-inf")
    }
}
