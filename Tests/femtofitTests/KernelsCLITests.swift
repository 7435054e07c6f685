import FemtofitTestSupport
import Foundation
import XCTest

/// `femtofit kernels --write DIR` writes the source of every kernel variant with a manifest that
/// names each (scripts/gpu-kernel-report compiles them), and refuses what it cannot do.
final class KernelsCLITests: XCTestCase {
    func testEveryVariantIsWrittenWithAManifest() throws {
        let folder = NSTemporaryDirectory() + "femtofit-kernels-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try FemtofitProcess.run(["kernels", "--write", folder, "--precision", "single", "--filter", "gauss2d-"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as! [String: Any]
        XCTAssertEqual(manifest["format"] as? String, "femtofit-kernel-sources/1")
        let variants = manifest["variants"] as! [[String: Any]]
        // gauss2d: 3 ROIs x 2 estimators x 2 weightings x 2 strategies; the other 2D Gaussians
        // (elliptic, rotated, pixelated): 2 estimators x 2 strategies each.
        XCTAssertEqual(variants.count, 24 + 3 * 4, "\(variants.map { $0["name"] ?? "" })")
        let group = try XCTUnwrap(variants.first { $0["name"] as? String == "gauss2d-mle-weighted-float32-group-15x15" })
        XCTAssertEqual(group["group_size"] as? Int, 64)
        XCTAssertEqual(group["kernel"] as? String, "ff_fit_per_group")
        let defines = group["defines"] as? [String] ?? []
        for expected in ["FF_PARAMETERS 5", "FF_POINTS 225", "FF_GRID_WIDTH 15", "FF_WEIGHTED 1", "FF_MLE 1", "FF_PER_GROUP 1", "FF_GROUP_SIZE 64"] {
            XCTAssertTrue(defines.contains(expected), "\(expected) in \(defines)")
        }
        XCTAssertFalse(defines.contains("FF_DOUBLE 1"))
        let source = try String(contentsOfFile: folder + "/" + (group["file"] as! String), encoding: .utf8)
        XCTAssertTrue(source.hasPrefix("#define FF_PARAMETERS 5\n"), String(source.prefix(200)))
        XCTAssertTrue(source.contains("void ff_fit_per_group("))
        let small = try XCTUnwrap(variants.first { $0["name"] as? String == "gauss2d-lse-unweighted-float32-group-5x5" })
        XCTAssertEqual(small["group_size"] as? Int, 32, "lowered to the 25 points rounded up")
        for variant in variants {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + (variant["file"] as! String)))
        }

        let none = try FemtofitProcess.run(["kernels", "--write", folder, "--filter", "no-such-model"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("no kernel variant matches"), none.stderr)
        let bad = try FemtofitProcess.run(["kernels", "--write", folder, "--precision", "half"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("choose single, double or all"), bad.stderr)
    }
}
