import FitCore
import Foundation
import TAMData
import XCTest
import FemtofitTestSupport

/// `femtofit fit --model spline3d|spline2d --spline-coefficients`: raw ROIs fitted to a spline
/// template from given start values, the template read from an HDF5 dataset or from raw float32
/// named by a TOML file; and the refusals of a missing or wrong template.
final class SplineCLITests: XCTestCase {
    var folder: String!
    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-spline-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func write<T>(_ values: [T], _ name: String) throws -> String {
        let path = folder + "/" + name
        try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        return path
    }

    func testSplineFitsFromHDF5AndTOMLTemplatesFindTheTruth() throws {
        let spline = try SyntheticSplines.psf(dimensions: 3, sigma: 1.8)
        var data: [Float] = [], starts: [Double] = [], truth: [Double] = []
        var random = SeededRandom(seed: freshSeed(78))
        for _ in 0..<40 {
            let t = [random.uniform(300...600), random.uniform(-5...(-3)), random.uniform(-5...(-3)), random.uniform(-6...(-4)), random.uniform(10...30)]
            let values = try ModelEvaluation.evaluate(.spline3D, parameters: t, coordinates: .grid(width: 13, height: 13), pointCount: 169, spline: spline).values
            data += values.map { Float($0) }
            truth += t
            starts += [t[0] * 1.1, t[1] + 0.3, t[2] - 0.3, t[3] + 0.4, t[4] - 3]
        }
        let rois = try write(data, "rois.f32"), startFile = try write(starts, "starts.f64")
        // The template as HDF5, shaped intervals then orders...
        let h5 = folder + "/psf.h5"
        let file = try HDF5File.create(h5)
        try file.write("/coefficients", dimensions: [20, 20, 10, 4, 4, 4], values: spline.coefficients.map { Float($0) }, as: .float32)
        try file.close()
        // ...and as raw float32 named by a TOML file.
        _ = try write(spline.coefficients.map { Float($0) }, "psf.f32")
        try "coefficients = \"psf.f32\"\nintervals = [20, 20, 10]\n".write(toFile: folder + "/psf.toml", atomically: true, encoding: .utf8)
        for template in [h5 + ":/coefficients", folder + "/psf.toml"] {
            let out = folder + "/out-" + UUID().uuidString
            let run = try FemtofitProcess.run(["fit", rois, "--raw-shape", "13x13", "--model", "spline3d", "--spline-coefficients", template,
                                               "--start-values", startFile, "--tolerance", "1e-9", "--max-iterations", "100",
                                               "--precision", "double", "--output", out])
            XCTAssertEqual(run.status, 0, run.stderr)
            let rows = try String(contentsOfFile: out + "/fits.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertTrue(rows[0].hasPrefix("index,amplitude,x0_px,y0_px,z0,offset"), String(rows[0]))
            XCTAssertEqual(rows.count, 41)
            for fit in 0..<40 {
                let cells = rows[1 + fit].split(separator: ",").map(String.init)
                for j in 0..<5 {
                    XCTAssertEqual(Double(cells[1 + j])!, truth[fit * 5 + j], accuracy: 1e-4 * max(1, abs(truth[fit * 5 + j])),
                                   "\(template) fit \(fit) parameter \(j): \(rows[1 + fit])")
                }
            }
        }
    }

    func testAMissingOrWrongTemplateIsRefusedWithWhatToDo() throws {
        let rois = try write([Float](repeating: 1, count: 169 * 2), "rois.f32")
        let starts = try write([Double](repeating: 1, count: 10), "starts.f64")
        func expectFailure(_ extra: [String], _ fragments: [String], status: Int32 = 2) throws {
            let run = try FemtofitProcess.run(["fit", rois, "--raw-shape", "13x13", "--model", "spline3d", "--start-values", starts,
                                               "--output", folder + "/o"] + extra)
            XCTAssertEqual(run.status, status, "\(extra): \(run.stderr)")
            for fragment in fragments { XCTAssertTrue(run.stderr.contains(fragment), "\(extra): '\(fragment)' not in \(run.stderr)") }
        }
        try expectFailure([], ["--spline-coefficients", "--raw-shape", "--start-values"], status: 64)
        _ = try write([Float](repeating: 0, count: 100), "short.f32")
        try "coefficients = \"short.f32\"\nintervals = [20, 20, 10]\n".write(toFile: folder + "/short.toml", atomically: true, encoding: .utf8)
        try expectFailure(["--spline-coefficients", folder + "/short.toml"], ["short.f32", "400 bytes", "256000 float32 coefficients"])
        try "intervals = [20, 20, 10]\n".write(toFile: folder + "/none.toml", atomically: true, encoding: .utf8)
        try expectFailure(["--spline-coefficients", folder + "/none.toml"], ["none.toml", "coefficients ="])
        try expectFailure(["--spline-coefficients", folder + "/psf.bin"], ["psf.bin", ".toml"])
        // A 2D template for the 3D model.
        _ = try write([Float](repeating: 0, count: 16 * 4), "flat.f32")
        try "coefficients = \"flat.f32\"\nintervals = [2, 2]\n".write(toFile: folder + "/flat.toml", atomically: true, encoding: .utf8)
        try expectFailure(["--spline-coefficients", folder + "/flat.toml"], ["spline3d needs a 3D spline", "2D"])
        let gauss = try FemtofitProcess.run(["fit", rois, "--raw-shape", "13x13", "--spline-coefficients", folder + "/flat.toml", "--output", folder + "/g"])
        XCTAssertEqual(gauss.status, 64)
        XCTAssertTrue(gauss.stderr.contains("--spline-coefficients is for --model spline2d or spline3d"), gauss.stderr)
    }
}
