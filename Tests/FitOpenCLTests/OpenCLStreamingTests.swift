import FitCore
import FitEngine
import FitOpenCL
import XCTest
import FemtofitTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Ten million fits through the streaming entry point on the OpenCL backend: every fit is
/// solved, and the process's memory grows by far less than the data set (the input alone is
/// 400 MB, the results as many again), because only one batch and two device chunks exist at once.
final class OpenCLStreamingTests: XCTestCase {
    /// Resident memory of this process, in bytes (Linux; nil elsewhere).
    func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    func testTenMillionFitsStreamInBoundedMemory() throws {
        let total = 10_000_000, perBatch = 250_000, points = 10
        let xs = (0..<points).map { Double($0) }
        // Curves of GAUSS_1D (A, x0, sigma, B) whose centre moves with the fit index, so a
        // misplaced chunk shows as a wrong centre.
        func centre(_ fit: Int) -> Double { 3.5 + Double(fit % 1000) / 500 }
        func batch(_ index: Int) -> FitBatch {
            var data = [Float](repeating: 0, count: perBatch * points)
            var start = [Double](repeating: 0, count: perBatch * 4)
            for local in 0..<perBatch {
                let fit = index * perBatch + local, x0 = centre(fit)
                for k in 0..<points { data[local * points + k] = Float(100 * exp(-(xs[k] - x0) * (xs[k] - x0) / 4.5) + 10) }
                start[local * 4 ..< local * 4 + 4] = [90, x0 + 0.3, 1.7, 12]
            }
            var batch = FitBatch(model: .gauss1D, fitCount: perBatch, pointCount: points, data: data, coordinates: .sharedX(xs))
            batch.initialParameters = start
            return batch
        }
        let engine = FitEngine(backend: try OpenCLBackend(device: nil, precision: .single, maximumChunk: 1 << 16))
        _ = try engine.fit(batch(0))  // warm-up: the build and the first allocations
        let before = residentBytes()
        var peak = before ?? 0
        var solved = 0
        let chunks = (0 ..< total / perBatch).lazy.map(batch)
        try engine.fit(chunks: chunks, settings: FitSettings(tolerance: 1e-6, maxIterations: 50)) { batch, results in
            for local in stride(from: 0, to: perBatch, by: 997) {
                let fit = solved + local
                XCTAssertEqual(results.state(local), .converged, "fit \(fit)")
                XCTAssertEqual(results.parameters[local * 4 + 1], centre(fit), accuracy: 1e-3, "fit \(fit)")
            }
            XCTAssertEqual(results.stateCodes.filter { $0 != FitState.converged.rawValue }.count, 0)
            solved += batch.fitCount
            peak = max(peak, residentBytes() ?? 0)
        }
        XCTAssertEqual(solved, total)
        if let before {
            XCTAssertLessThan(peak - before, 150_000_000, "memory grew by \(peak - before) bytes for \(total) fits")
        }
    }
}
