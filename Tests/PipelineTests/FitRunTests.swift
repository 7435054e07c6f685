import FemtofitTestSupport
import FitCore
import FitEngine
import Foundation
import Pipeline
import Simulation
import TAMData
import Transport
import XCTest

/// The streaming fit pipeline: outputs equal a one-shot fit bit for bit, fits.h5 and fits.json
/// hold what they promise, and a failed run leaves nothing that looks complete.
final class FitRunTests: XCTestCase {
    var folder: String!
    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-run-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Random 13x11 Gaussian ROIs written as a raw float32 file.
    func rawROIs(count: Int, seed: UInt64) throws -> (path: String, fits: SyntheticFits) {
        let fits = try randomFits(.gauss2D, estimator: .leastSquares, count: count, seed: seed)
        let path = folder + "/rois.f32"
        try fits.batch.data.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        return (path, fits)
    }

    func read(_ path: String, _ name: String) throws -> [Double] { try HDF5File.open(path).dataset(name).readAll() }

    /// Blocks of an uneven size (several blocks and a short last one) give exactly the numbers
    /// of one engine call on the whole batch: parameters, errors, states, chi^2 and iterations,
    /// with and without start values.
    func testStreamedOutputsEqualOneShotFitBitForBit() throws {
        let seed = freshSeed(41)
        let (path, fits) = try rawROIs(count: 2_500, seed: seed)
        let engine = FitEngine(backend: CPUBackend(precision: .single))
        for withStarts in [false, true] {
            var batch = fits.batch
            if !withStarts { batch.initialParameters = nil }
            let oneShot = try engine.fit(batch)
            var fitter = StackFitter(model: .gauss2D, roi: .wholeFrame, engine: engine)
            if withStarts {
                let starts = fits.batch.initialParameters!
                fitter.startValues = { first, count in Array(starts[first * 5 ..< (first + count) * 5]) }
            }
            var run = FitRun(fitter: fitter, pixelSize: nil, roiDescription: "whole")
            run.blockFrames = 700
            let out = folder + "/out\(withStarts)"
            let summary = try run.run(try RawROISource(path, width: 13, height: 11), into: out, hasDelays: false)
            XCTAssertEqual(summary.fits, 2_500)
            let h5 = out + "/fits.h5"
            XCTAssertEqual(try read(h5, "/parameters"), oneShot.parameters, "seed \(seed), start values \(withStarts)")
            XCTAssertEqual(try read(h5, "/standard_errors").map { $0.bitPattern }, oneShot.standardErrors.map { $0.bitPattern })
            XCTAssertEqual(try read(h5, "/state"), oneShot.stateCodes.map(Double.init))
            XCTAssertEqual(try read(h5, "/chi2"), oneShot.chiSquares)
            XCTAssertEqual(try read(h5, "/iterations"), oneShot.iterations.map(Double.init))
            XCTAssertEqual(try read(h5, "/index"), (0..<2_500).map(Double.init))
            XCTAssertGreaterThan(summary.states[.converged] ?? 0, 2_400, "seed \(seed)")
            // fits.csv: one row per fit in fit order, float32 digits that read back as the fit's float.
            let lines = try String(contentsOfFile: out + "/fits.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 2_501)
            XCTAssertEqual(lines[0], "index,amplitude,x0_px,y0_px,sigma_px,offset,amplitude_err,x0_px_err,y0_px_err,sigma_px_err,offset_err,state,chi2,iterations")
            for row in [1, 1_234, 2_500] {
                let cells = lines[row].split(separator: ",")
                XCTAssertEqual(Int(cells[0]), row - 1)
                XCTAssertEqual(Float(cells[3]), Float(oneShot.parameters[(row - 1) * 5 + 2]), "row \(row)")
                XCTAssertEqual(String(cells[11]), oneShot.state(row - 1)!.description)
            }
        }
    }

    /// fits.h5's datasets and attributes, fits.json as the run's record (schema, counts, the first
    /// 1 000 invalid fits and how many more, the files with their sizes), and analyze's reader.
    func testFitsH5AndFitsJSONDescribeTheRun() throws {
        let (_, fits) = try rawROIs(count: 300, seed: freshSeed(42))
        // 1 100 flat ROIs (invalid input) after 300 good ones, and one with a NaN pixel.
        var data = fits.batch.data + [Float](repeating: 0, count: 1_100 * 143)
        data[5] = .nan
        let path = folder + "/mixed.f32"
        try data.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        let run = FitRun(fitter: StackFitter(model: .gauss2D, roi: .wholeFrame, engine: FitEngine()), pixelSize: 50, roiDescription: "whole 13x11 ROIs")
        let source = DelayLabelledSource(try RawROISource(path, width: 13, height: 11), delays: (0..<1_400).map { Double($0) * 10 })
        let out = folder + "/out"
        let summary = try run.run(source, into: out, hasDelays: true)
        XCTAssertEqual(summary.invalidCount, 1_100)
        XCTAssertEqual(summary.maskedFits, 1)

        let file = try HDF5File.open(out + "/fits.h5")
        XCTAssertEqual(file.strings("schema"), ["femtofit-fits-h5/1"])
        XCTAssertEqual(file.strings("model"), ["gauss2d"])
        XCTAssertEqual(file.strings("length_unit"), ["nm"])
        XCTAssertEqual(file.number("pixel_size_nm"), 50)
        XCTAssertEqual(file.strings("parameter_names"), ["amplitude", "x0", "y0", "sigma", "offset"])
        let parameters = try file.dataset("/parameters")
        XCTAssertEqual(parameters.shape.dimensions, [1_400, 5])
        XCTAssertEqual(parameters.stringsAttribute("columns"), ["amplitude", "x0_nm", "y0_nm", "sigma_nm", "offset"])
        XCTAssertEqual(try file.dataset("/roi").shape.dimensions, [1_400, 4])
        XCTAssertEqual(try file.dataset("/delay_fs").readAll()[1_399], 13_990)
        XCTAssertEqual(try file.dataset("/masked_pixels").readAll()[0], 1)
        let problems = try file.dataset("/problem")
        XCTAssertEqual(try problems.readAll()[350], Double(FitProblemCode.flatData.rawValue))
        XCTAssertTrue(problems.stringsAttribute("codes")!.contains("6=the data are flat: no peak to fit"))
        XCTAssertTrue(try file.dataset("/state").stringsAttribute("names")!.contains("5=invalid_input"))
        XCTAssertTrue(file.exists("/shape/width_z"))
        // Lengths in nm: sigma of fit 0 is 50 x its pixel value.
        let csv = try String(contentsOfFile: out + "/fits.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(csv[0].hasPrefix("index,delay_fs,amplitude,x0_nm,"))

        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/fits.json"))) as? [String: Any])
        XCTAssertEqual(record["schema"] as? String, "femtofit-fits/2")
        XCTAssertNil(record["fits"], "no object per fit")
        XCTAssertEqual((record["states"] as? [String: Int])?["invalid_input"], 1_100)
        let invalid = try XCTUnwrap(record["invalid"] as? [[String: Any]])
        XCTAssertEqual(invalid.count, 1_000)
        XCTAssertEqual(invalid[0]["index"] as? Int, 300)
        XCTAssertTrue((invalid[0]["problem"] as? String ?? "").contains("flat"))
        XCTAssertEqual(record["invalid_more"] as? Int, 100)
        XCTAssertEqual((record["metadata"] as? [String: Any])?["backend"] as? String, "cpu")
        let files = try XCTUnwrap(record["files"] as? [[String: Any]])
        for name in ["fits.h5", "fits.csv", "shape.csv"] {
            let entry = try XCTUnwrap(files.first { $0["name"] as? String == name }, name)
            let size = try FileManager.default.attributesOfItem(atPath: out + "/" + name)[.size] as? Int
            XCTAssertEqual(entry["bytes"] as? Int, size, name)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["fits.csv", "fits.h5", "fits.json", "shape.csv"])
    }

    /// A write that fails midway (a full disk, simulated in the sink layer) leaves no output at
    /// all, and an earlier complete run in the same folder stays whole.
    func testAFailedWriteLeavesNoPartialOutputs() throws {
        let (path, _) = try rawROIs(count: 3_000, seed: freshSeed(43))
        let out = folder + "/out"
        var run = FitRun(fitter: StackFitter(model: .gauss2D, roi: .wholeFrame, engine: FitEngine()), pixelSize: nil, roiDescription: "whole")
        run.blockFrames = 1_000
        _ = try run.run(try RawROISource(path, width: 13, height: 11), into: out, hasDelays: false)
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/fits.csv"))
        run.fault = { name, bytes in
            if name == "fits.csv" && bytes > 200_000 { throw OutputError(name, "cannot write (the disk is full)") }
        }
        XCTAssertThrowsError(try run.run(try RawROISource(path, width: 13, height: 11), into: out, hasDelays: false)) { error in
            XCTAssertTrue(error is OutputError, "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["fits.csv", "fits.h5", "fits.json", "shape.csv"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/fits.csv")), before)
        // Into a fresh folder, the failed run leaves the folder empty.
        let fresh = folder + "/fresh"
        XCTAssertThrowsError(try run.run(try RawROISource(path, width: 13, height: 11), into: fresh, hasDelays: false))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: fresh), [])
        // A run with --csv off removes the earlier run's fits.csv and shape.csv: the folder holds
        // one run, and fits.h5's shape group gives the flags shape.csv gave.
        let csvFlags = try ShapeFlags.read(out + "/shape.csv")
        run.fault = nil
        run.writeCSV = false
        _ = try run.run(try RawROISource(path, width: 13, height: 11), into: out, hasDelays: false)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["fits.h5", "fits.json"])
        let h5Flags = try XCTUnwrap(try FitsH5Reader.shapeFlags(out + "/fits.h5"))
        XCTAssertEqual(h5Flags.keys.sorted(), csvFlags.keys.sorted())
        for (key, entry) in csvFlags {
            XCTAssertGreaterThan(entry.total, 0)
            XCTAssertEqual(h5Flags[key]?.total, entry.total)
            XCTAssertEqual(h5Flags[key]?.flagged, entry.flagged)
        }
    }

    /// A raw file cut short after the run started: the error names the file and the ROI.
    func testAnInputThatBecomesUnreadableMidway() throws {
        let (path, _) = try rawROIs(count: 2_000, seed: freshSeed(44))
        let source = try RawROISource(path, width: 13, height: 11)
        XCTAssertNotNil(try source.next(maximum: 500))
        XCTAssertEqual(truncate(path, off_t(1_200 * 143 * 4 + 10)), 0)
        XCTAssertNotNil(try source.next(maximum: 500))
        XCTAssertThrowsError(try source.next(maximum: 500)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("rois.f32") && text.contains("ROI 1200") && text.contains("cut short"), text)
        }
        XCTAssertThrowsError(try RawROISource(path, width: 13, height: 11)) { error in
            XCTAssertTrue("\(error)".contains("not a whole number of 13x11"), "\(error)")
        }
    }

    /// HDF5 input: 3-D frames (float32 and uint16) found and cut like a TIFF's; 2-D ROIs x points
    /// with a raw shape; and every kind of bad file refused with its name and the dataset's.
    func testHDF5InputsAndTheirErrors() throws {
        let (_, fits) = try rawROIs(count: 40, seed: freshSeed(45))
        let path = folder + "/data.h5"
        let file = try HDF5File.create(path)
        try file.write("/rois", dimensions: [40, 143], values: fits.batch.data, as: .float32)
        try file.write("/frames", dimensions: [40, 11, 13], values: fits.batch.data, as: .float32)
        try file.write("/counts", dimensions: [40, 11, 13], values: fits.batch.data.map { UInt16(max(0, min(65_535, $0.rounded()))) }, as: .uint16)
        try file.write("/flat", dimensions: [5], values: [Float](repeating: 1, count: 5), as: .float32)
        try file.createGroup("/group")
        try file.close()
        let engine = FitEngine()
        let raw = try HDF5FrameSource(HDF5DatasetName(path + ":/rois")!, rawShape: (13, 11), roi: .automatic)
        let block = try XCTUnwrap(raw.next(maximum: 100))
        XCTAssertEqual(block.frames.pixels, fits.batch.data)
        XCTAssertEqual(block.roi, .wholeFrame)
        for name in ["/frames", "/counts"] {
            let source = try HDF5FrameSource(HDF5DatasetName(path + ":" + name)!, rawShape: nil, roi: .wholeFrame)
            XCTAssertEqual(source.frameCount, 40)
            let chunk = try StackFitter(model: .gauss2D, roi: .wholeFrame, engine: engine).fit(try XCTUnwrap(source.next(maximum: 64)), source: name)
            XCTAssertGreaterThan((0..<40).filter { chunk.state($0) == .converged }.count, 35, name)
        }
        func refused(_ name: String, rawShape: (Int, Int)? = nil, _ fragments: [String]) {
            XCTAssertThrowsError(try HDF5FrameSource(HDF5DatasetName(name)!, rawShape: rawShape, roi: .automatic)) { error in
                for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(name): '\(fragment)' not in \(error)") }
            }
        }
        refused(path + ":/missing", ["data.h5", "no dataset /missing"])
        refused(path + ":/flat", ["data.h5", "rank 1"])
        refused(path + ":/rois", ["rank 2", "--raw-shape"])
        refused(path + ":/rois", rawShape: (10, 10), ["143 points per ROI", "10x10"])
        refused(path + ":/group", ["/group", "not a dataset"])
        try "not hdf5\n".write(toFile: folder + "/text.h5", atomically: true, encoding: .utf8)
        refused(folder + "/text.h5:/x", ["text.h5", "not an HDF5 file"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: folder + "/cut.h5"))
        XCTAssertThrowsError(try {
            let source = try HDF5FrameSource(HDF5DatasetName(folder + "/cut.h5:/counts")!, rawShape: nil, roi: .automatic)
            _ = try source.next(maximum: 64)
        }()) { error in
            XCTAssertTrue(error is TAMDataError && "\(error)".contains("cut.h5"), "\(error)")
        }
        refused(folder + "/none.h5:/x", ["none.h5", "no such file"])
    }

    /// analyze's reader takes fits.h5 as it takes fits.csv: the same series, widths and errors.
    func testFitsH5ReadsBackAsTheFitsTable() throws {
        let simulator = TAMSimulator()
        let (stack, _) = try simulator.run()
        let tif = folder + "/stack.tif"
        try TIFFStack.write(stack, to: tif)
        let run = FitRun(fitter: StackFitter(model: .gauss2D, engine: FitEngine()), pixelSize: simulator.pixelSize, roiDescription: "auto")
        _ = try run.run(DelayLabelledSource(try TIFFPageSource(tif, roi: .automatic), delays: simulator.delays), into: folder + "/out", hasDelays: true)
        let fromCSV = try FitsTable(path: folder + "/out/fits.csv", pixelSize: nil)
        let fromH5 = try FitsH5Reader.table(folder + "/out/fits.h5", pixelSize: nil)
        XCTAssertEqual(fromCSV.series.count, 1)
        XCTAssertEqual(fromH5.series[0].delays, fromCSV.series[0].delays)
        XCTAssertEqual(fromH5.series[0].valid, fromCSV.series[0].valid)
        for (a, b) in zip(fromH5.series[0].sigmas, fromCSV.series[0].sigmas) { XCTAssertEqual(a, b, accuracy: 1e-5 * b) }
        XCTAssertThrowsError(try FitsH5Reader.table(folder + "/stack.tif", pixelSize: nil))
    }
}
