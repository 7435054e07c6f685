import Foundation
import TAMData
import XCTest
import FemtofitTestSupport

/// The real `femtofit` binary, run as scripts run it: its output files, its messages and its
/// exit codes, on good input and on every kind of bad input.
final class CLITests: XCTestCase {
    var binary: URL { FemtofitProcess.binary }
    typealias Run = FemtofitProcess.Run
    func femtofit(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try FemtofitProcess.run(arguments, environment: environment)
    }

    var folder: String!
    override func setUp() {
        folder = NSTemporaryDirectory() + "femtofit-cli-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// A dataset folder as fit input: every series on its run-averaged dT/T frames, with the
    /// dataset's delays and pixel size, and the axes columns in fits.csv for a grid.
    func testFitADatasetFolder() throws {
        let dataset = folder + "/dataset"
        let simulate = try femtofit(["simulate", "--dataset", "--output", dataset, "--size", "40x40", "--fluences", "0.1,0.3", "--runs", "2", "--seed", "5"])
        XCTAssertEqual(simulate.status, 0, simulate.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dataset + "/dataset.json"))
        let run = try femtofit(["fit", dataset, "--output", folder + "/fits"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try String(contentsOfFile: folder + "/fits/fits.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("index,fluence,wavelength_nm,spot,delay_fs,amplitude,x0_nm,y0_nm,sigma_nm,"), String(lines[0]))
        XCTAssertEqual(lines.count, 1 + 2 * 63, "2 fluences x 63 delays (3 before time zero)")
        XCTAssertTrue(lines[1].hasPrefix("0,0.1,0.0,0,-300.0,"), String(lines[1]))
        XCTAssertTrue(lines[64].hasPrefix("0,0.3,0.0,0,-300.0,"), String(lines[64]))
        // After time zero the spot is fitted (sigma about 141 nm at 0 fs) in both series.
        for row in [lines[4], lines[67]] {
            let cells = row.split(separator: ",")
            XCTAssertEqual(cells[4], "0.0")
            XCTAssertEqual(Double(cells[8])!, 141, accuracy: 10, String(row))
        }
        let again = try femtofit(["fit", dataset, "--output", folder + "/x", "--delays", folder + "/none.txt"])
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.stderr.contains("carries its delays"), again.stderr)
        try Data("{\"schema\": \"femtofit-dataset/9\"}".utf8).write(to: URL(fileURLWithPath: dataset + "/dataset.json"))
        let newer = try femtofit(["fit", dataset, "--output", folder + "/x"])
        XCTAssertEqual(newer.status, 2)
        XCTAssertTrue(newer.stderr.contains("dataset.json") && newer.stderr.contains("update femtofit"), newer.stderr)
    }

    /// `femtofit kinetics` on a simulated transient-absorption matrix: per-trace fits written to
    /// kinetics.csv and kinetics.h5 with the plots; bad usage and bad input exit as the table says.
    func testKineticsOfATransientAbsorptionMatrix() throws {
        let simulate = try femtofit(["simulate", "--transient-absorption", "--wavelengths", "40", "--output", folder, "--seed", "3"])
        XCTAssertEqual(simulate.status, 0, simulate.stderr)
        let run = try femtofit(["kinetics", folder + "/traces.csv", "--components", "auto", "--coherent-artifact", "--output", folder + "/k"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("fitted 40 traces x 409 delays"), run.stdout)
        for name in ["kinetics.csv", "kinetics.h5", "t0.svg", "lifetimes.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/k/" + name), name)
        }
        let lines = try String(contentsOfFile: folder + "/k/kinetics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 41)
        XCTAssertTrue(lines[0].hasPrefix("trace,wavelength_nm,model,components,long_lived,state,honest,"), String(lines[0]))
        XCTAssertTrue(lines[1].hasPrefix("0,420.0,kinetics"), String(lines[1]))
        let usage = try femtofit(["kinetics", folder + "/traces.csv", "--components", "5", "--output", folder + "/x"])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderr.contains("--components"), usage.stderr)
        try "x,0,100\n500,1\n".write(toFile: folder + "/ragged.csv", atomically: true, encoding: .utf8)
        let bad = try femtofit(["kinetics", folder + "/ragged.csv", "--output", folder + "/x"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("ragged.csv") && bad.stderr.contains("line 2"), bad.stderr)
    }

    /// `femtofit kinetics` on its other inputs: an HDF5 matrix (delay-major, streamed), a TIFF stack
    /// with --delays (per-pixel maps, the path `analyze` takes) and a dataset folder (one map per
    /// series).
    func testKineticsOfHDF5StacksAndDatasets() throws {
        let simulate = try femtofit(["simulate", "--transient-absorption", "--wavelengths", "12", "--output", folder, "--seed", "4"])
        XCTAssertEqual(simulate.status, 0, simulate.stderr)
        let matrix = try TraceMatrix.read(folder + "/traces.csv")
        let file = try HDF5File.create(folder + "/ta.h5")
        var delayMajor = [Float](repeating: 0, count: matrix.values.count)
        let m = matrix.delays.count, n = matrix.traceCount
        for w in 0..<n { for d in 0..<m { delayMajor[d * n + w] = matrix.values[w * m + d] } }
        try file.write("/signal", dimensions: [m, n], values: delayMajor, as: .float32)
        try file.write("/delay_fs", dimensions: [m], values: matrix.delays, as: .float64)
        try file.write("/wavelength_nm", dimensions: [n], values: matrix.wavelengths, as: .float64)
        try file.close()
        let csvRun = try femtofit(["kinetics", folder + "/traces.csv", "--components", "2", "--output", folder + "/from-csv"])
        XCTAssertEqual(csvRun.status, 0, csvRun.stderr)
        let h5Run = try femtofit(["kinetics", folder + "/ta.h5:/signal", "--components", "2", "--output", folder + "/from-h5"])
        XCTAssertEqual(h5Run.status, 0, h5Run.stderr)
        XCTAssertTrue(h5Run.stdout.contains("fitted 12 traces x 409 delays"), h5Run.stdout)
        // The same traces (float32 both ways), so the same table but for nothing.
        XCTAssertEqual(try String(contentsOfFile: folder + "/from-h5/kinetics.csv", encoding: .utf8),
                       try String(contentsOfFile: folder + "/from-csv/kinetics.csv", encoding: .utf8))

        // A TIFF stack: a dataset's simulated spot, as one stack with its delays.
        let dataset = folder + "/dataset"
        XCTAssertEqual(try femtofit(["simulate", "--dataset", "--output", dataset, "--runs", "1", "--size", "24x24", "--seed", "6"]).status, 0)
        let datasetRun = try femtofit(["kinetics", dataset, "--output", folder + "/from-dataset"])
        XCTAssertEqual(datasetRun.status, 0, datasetRun.stderr)
        for name in ["kinetics_f0_w0_s0.csv", "kinetics_f0_w0_s0.h5", "kinetics_f0_w0_s0.tif", "map_lifetime_f0_w0_s0.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/from-dataset/" + name), name + "; " + datasetRun.stdout)
        }
        let rows = try String(contentsOfFile: folder + "/from-dataset/kinetics_f0_w0_s0.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 1 + 24 * 24, "one row per pixel")
        let labels = try XCTUnwrap(TIFFStack.imageJLabels(folder + "/from-dataset/kinetics_f0_w0_s0.tif"))
        XCTAssertEqual(labels.first, "components")
        // The same pixels as a stack with --delays.
        let manifest = try Dataset.open(dataset).manifest
        let stackRun = try femtofit(["kinetics", folder + "/from-dataset/kinetics_f0_w0_s0.tif", "--output", folder + "/x"])
        XCTAssertEqual(stackRun.status, 64, "a TIFF stack needs --delays")
        XCTAssertTrue(stackRun.stderr.contains("--delays"), stackRun.stderr)
        try manifest.axes.delayFs.map { "\($0)" }.joined(separator: "\n").write(toFile: folder + "/delays.txt", atomically: true, encoding: .utf8)
        let dtt = try femtofit(["fit", dataset, "--output", folder + "/fitted"])
        XCTAssertEqual(dtt.status, 0, dtt.stderr)
        let stack = try femtofit(["kinetics", folder + "/fitted/dtt_f0_w0_s0.tif", "--delays", folder + "/delays.txt", "--output", folder + "/from-stack"])
        XCTAssertEqual(stack.status, 0, stack.stderr)
        for name in ["kinetics.csv", "kinetics.h5", "kinetics_map.tif", "map_lifetime.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/from-stack/" + name), name + "; " + stack.stdout)
        }
        XCTAssertTrue(stack.stdout.contains("pixels masked"), stack.stdout)
        let global = try femtofit(["kinetics", dataset, "--global", "--output", folder + "/x"])
        XCTAssertEqual(global.status, 64)
        XCTAssertTrue(global.stderr.contains("--global"), global.stderr)
    }

    /// The whole path on images: a simulated pure-film dataset (3 runs) is preprocessed, fitted
    /// and analysed; the band-like regime is found and its 95 % intervals hold the truth.
    func testAnalyzeADatasetFolder() throws {
        let dataset = folder + "/dataset"
        let simulate = try femtofit(["simulate", "--dataset", "--output", dataset, "--runs", "3", "--seed", "11"])
        XCTAssertEqual(simulate.status, 0, simulate.stderr)
        let run = try femtofit(["analyze", dataset, "--output", folder + "/analysis", "--dot-pitch", "3"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("D_max"), run.stdout)
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/analysis/analysis.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let dMax = try XCTUnwrap(json["d_max_cm2_s"] as? [String: Any], run.stdout)
        let ci = try XCTUnwrap(dMax["ci95"] as? [Double])
        XCTAssertTrue(ci[0] <= 102 && 102 <= ci[1], "\(dMax)")
        let band = try XCTUnwrap(json["band_like"] as? [String: Any])
        let length = try XCTUnwrap(band["length_nm"] as? [String: Any])
        let lengthCI = try XCTUnwrap(length["ci95"] as? [Double])
        XCTAssertTrue(lengthCI[0] <= 78.2 && 78.2 <= lengthCI[1], "\(length)")
        // Time zero as data: the simulated rise is instant at a frame, so none is found, and
        // fits.json, fits.h5 and analysis.json say so with a zero delay shift.
        XCTAssertTrue(json.keys.contains("time_zero_fs"), "\(json.keys)")
        XCTAssertEqual(json["delay_shift_fs"] as? Double, 0)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/analysis/fits.json"))) as? [String: Any])
        let series = try XCTUnwrap(record["series"] as? [[String: Any]])
        XCTAssertEqual(series.count, 1)
        XCTAssertEqual(series[0]["time_zero_used"] as? Bool, false)
        let h5 = try HDF5File.open(folder + "/analysis/fits.h5")
        XCTAssertEqual(try h5.dataset("series/delay_shift_fs").readAll(), [0])
        XCTAssertTrue(try h5.dataset("series/time_zero_fs").readAll()[0].isNaN)
        try h5.close()
        for name in ["fits.csv", "shape.csv", "report.html", "msd.svg", "points.csv", "kinetics_f0_w0_s0.tif", "map_lifetime_f0_w0_s0.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/analysis/" + name), name)
        }
        // A fits.csv in pixels needs --pixel-size; one without delays is refused.
        let fits = folder + "/pixels.csv"
        try "index,delay_fs,sigma_px,sigma_px_err\n0,10,2.5,0.01\n".write(toFile: fits, atomically: true, encoding: .utf8)
        let pixels = try femtofit(["analyze", fits, "--output", folder + "/x"])
        XCTAssertEqual(pixels.status, 2)
        XCTAssertTrue(pixels.stderr.contains("--pixel-size"), pixels.stderr)
        try "index,sigma_nm,sigma_nm_err\n0,141,0.3\n".write(toFile: fits, atomically: true, encoding: .utf8)
        let noDelays = try femtofit(["analyze", fits, "--output", folder + "/x"])
        XCTAssertEqual(noDelays.status, 2)
        XCTAssertTrue(noDelays.stderr.contains("delay_fs") && noDelays.stderr.contains(fits), noDelays.stderr)
        let badTemperature = try femtofit(["analyze", fits, "--output", folder + "/x", "--temperature=-1"])
        XCTAssertEqual(badTemperature.status, 64, "an option out of its range is a usage mistake (README, Exit codes)")
        XCTAssertTrue(badTemperature.stderr.contains("temperature"), badTemperature.stderr)
    }

    /// Many series: a screenful of summary lines, then how many more and where they are.
    func testAnalyzeSummarisesAScreenfulOfSeries() throws {
        var text = "index,spot,delay_fs,sigma_nm,sigma_nm_err,state\n"
        for spot in 0..<25 {
            for (k, delay) in [10.0, 20, 50, 100, 200, 500, 1000, 2000].enumerated() {
                text += "\(k),\(spot),\(delay),\(140 + 0.1 * Double((k * 7 + spot) % 5)),0.5,converged\n"
            }
        }
        try text.write(toFile: folder + "/fits.csv", atomically: true, encoding: .utf8)
        let run = try femtofit(["analyze", folder + "/fits.csv", "--output", folder + "/out"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains(": sigma_0 ") }.count, 20, run.stdout)
        XCTAssertTrue(run.stdout.contains("... and 5 more series: every series is in analysis.csv and analysis.json"), run.stdout)
    }

    func testVersion() throws {
        let run = try femtofit(["--version"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.hasPrefix("0."), run.stdout)
    }

    /// The OpenCL backend from the command line (PoCL here), and the whole CLI with the OpenCL
    /// library hidden from the process: `auto` and `cpu` still fit, `opencl` fails clearly.
    func testOpenCLBackendAndAMachineWithoutOpenCL() throws {
        XCTAssertEqual(try femtofit(["simulate", "--output", folder, "--seed", "3"]).status, 0)
        let stack = folder + "/stack.tif"
        let devices = try femtofit(["devices"])
        XCTAssertEqual(devices.status, 0, devices.stderr)
        XCTAssertTrue(devices.stdout.contains("[0]") && devices.stdout.contains("compute units") && devices.stdout.contains("auto:"), devices.stdout)
        let opencl = try femtofit(["fit", stack, "--output", folder + "/ocl", "--backend", "opencl", "--device", "0"])
        XCTAssertEqual(opencl.status, 0, opencl.stderr)
        XCTAssertTrue(opencl.stdout.contains("60 converged"), opencl.stdout)
        let json = try String(contentsOfFile: folder + "/ocl/fits.json", encoding: .utf8)
        XCTAssertTrue(json.contains("\"backend\" : \"opencl\"") || json.contains("\"backend\":\"opencl\""), json)

        let hidden = ["FEMTOFIT_OPENCL_LIBRARY": "/nonexistent/libOpenCL.so.1"]
        let listed = try femtofit(["devices"], environment: hidden)
        XCTAssertEqual(listed.status, 0)
        XCTAssertTrue(listed.stdout.contains("no OpenCL library found"), listed.stdout)
        for backend in ["auto", "cpu"] {
            let run = try femtofit(["fit", stack, "--output", folder + "/" + backend, "--backend", backend], environment: hidden)
            XCTAssertEqual(run.status, 0, "\(backend): \(run.stderr)")
            XCTAssertTrue(run.stdout.contains("60 converged"), run.stdout)
        }
        let refused = try femtofit(["fit", stack, "--output", folder + "/x", "--backend", "opencl"], environment: hidden)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("no OpenCL library found") && refused.stderr.contains("--backend cpu"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x/fits.csv"))
    }

    /// `femtofit bench` prints its table and writes JSON with a row per backend; OpenCL rows carry
    /// event-timed kernel and transfer times and a fraction of the device's measured peak.
    func testBenchPrintsATableAndWritesJSON() throws {
        let json = folder + "/bench.json"
        let run = try femtofit(["bench", "--quick", "--filter", "lse-5x5", "--json", json])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("gauss2d-lse-5x5") && run.stdout.contains("kernel fits/s"), run.stdout)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        XCTAssertEqual(report["schema"] as? String, "femtofit-bench/1")
        let rows = report["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["backend"] as? String }, ["cpu", "opencl"])
        for row in rows {
            XCTAssertEqual(row["fits"] as? Int, 50_000)
            XCTAssertGreaterThan(row["fits_per_s"] as? Double ?? 0, 1000)
            let fraction = row["fraction_of_peak"] as? Double ?? -1
            XCTAssertTrue(fraction > 0 && fraction < 1, "\(row)")
        }
        XCTAssertGreaterThan(rows[1]["kernel_s"] as? Double ?? 0, 0)
        XCTAssertNotNil(rows[1]["transfer_s"] as? Double)
        XCTAssertEqual(rows[1]["bytes_to_device"] as? Int, 50_000 * (25 * 4 + 3 * 5 * 4 + 4))
        // The driver's view of the kernel that ran (PoCL here: one work-item per fit, whose LM
        // state and point loop live in private memory on a CPU device).
        XCTAssertNil(rows[0]["kernel"])
        let kernel = rows[1]["kernel"] as? [String: Any] ?? [:]
        XCTAssertEqual(kernel["kernel"] as? String, "ff_fit_per_item", "\(kernel)")
        XCTAssertEqual(kernel["strategy"] as? String, "item")
        XCTAssertGreaterThanOrEqual(kernel["preferred_work_group_size_multiple"] as? Int ?? 0, 1)
        XCTAssertGreaterThanOrEqual(kernel["work_group_size"] as? Int ?? 0, 1)
        XCTAssertNotNil(kernel["private_mem_size"] as? Int)
        XCTAssertNotNil(kernel["local_mem_size"] as? Int)
        XCTAssertTrue(run.stdout.contains("ff_fit_per_item: CL_KERNEL_PRIVATE_MEM_SIZE"), run.stdout)

        let bad = try femtofit(["bench", "--backend", "gpu"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("choose all, cpu or opencl"), bad.stderr)
    }

    /// A dataset whose rise is resolved (90 fs response) and comes 40 fs after the acquired zero:
    /// its time zero is found and used, recorded in fits.json and analysis.json, and the kinetics
    /// map's per-pixel t0 is on the series' moved delays (near 0, not near 40).
    func testATimeZeroFoundMovesTheFitsAndTheMaps() throws {
        let dataset = folder + "/rising"
        let simulate = try femtofit(["simulate", "--dataset", "--output", dataset, "--runs", "2", "--size", "48x48",
                                     "--irf-fwhm", "90", "--time-zero", "40", "--seed", "\(freshSeed(0x7E40) % 100_000)"])
        XCTAssertEqual(simulate.status, 0, simulate.stderr)
        let run = try femtofit(["analyze", dataset, "--output", folder + "/rising-analysis"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/rising-analysis/fits.json"))) as? [String: Any])
        let series = try XCTUnwrap((record["series"] as? [[String: Any]])?.first)
        XCTAssertEqual(series["time_zero_used"] as? Bool, true, "\(series); \(run.stdout)")
        let t0 = try XCTUnwrap((series["time_zero_fs"] as? [String: Any])?["value"] as? Double, "\(series)")
        XCTAssertEqual(t0, 40, accuracy: 15, "\(series)")
        XCTAssertEqual(try XCTUnwrap(series["delay_shift_fs"] as? Double), -t0, accuracy: 1e-9)
        let analysis = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/rising-analysis/analysis.json"))) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap((analysis["time_zero_fs"] as? [String: Any])?["value"] as? Double), t0, accuracy: 1e-9)
        let map = try TIFFStack.read(folder + "/rising-analysis/kinetics_f0_w0_s0.tif")
        // At the spot's centre (the nine largest amplitudes): outer pixels see the spreading spot
        // arrive later, so their t0 is later by physics, not by the axis.
        let labels = try XCTUnwrap(TIFFStack.imageJLabels(folder + "/rising-analysis/kinetics_f0_w0_s0.tif"))
        let amplitude = Array(map.frame(try XCTUnwrap(labels.firstIndex(of: "amplitude_1"), "\(labels)")))
        let t0Page = Array(map.frame(try XCTUnwrap(labels.firstIndex(of: "t0_fs"))))
        let centre = amplitude.indices.filter { amplitude[$0].isFinite && t0Page[$0].isFinite }.sorted { amplitude[$0] > amplitude[$1] }.prefix(9)
        XCTAssertEqual(centre.count, 9, "per-pixel t0 where the rise is resolved; \(run.stdout)")
        let t0s = centre.map { Double(t0Page[$0]) }.sorted()
        XCTAssertEqual(t0s[4], 0, accuracy: 15, "the map's t0 is on the series' moved delays: \(t0s)")
    }

    func testSimulateThenFitWritesDocumentedFiles() throws {
        let sim = try femtofit(["simulate", "--output", folder, "--seed", "7"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let out = folder + "/fit"
        let run = try femtofit(["fit", folder + "/stack.tif", "--output", out, "--delays", folder + "/delays.txt", "--pixel-size", "55.6"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("60 converged"), run.stdout)
        let csv = try String(contentsOfFile: out + "/fits.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "index,delay_fs,amplitude,x0_nm,y0_nm,sigma_nm,offset,amplitude_err,x0_nm_err,y0_nm_err,sigma_nm_err,offset_err,state,chi2,iterations")
        XCTAssertEqual(csv.count, 61)
        let truth = try String(contentsOfFile: folder + "/truth.csv", encoding: .utf8).split(separator: "\n")
        // sigma of the first and last frames against the truth (the fitted point-sampled Gaussian
        // is wider by the pixel's own variance, a^2 / 12).
        for row in [1, 60] {
            let fitted = Double(csv[row].split(separator: ",")[5])!
            let actual = Double(truth[row].split(separator: ",")[4])!
            XCTAssertEqual(fitted, (actual * actual + 55.6 * 55.6 / 12).squareRoot(), accuracy: 0.03 * actual, "row \(row)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/fits.json"))) as! [String: Any]
        let metadata = json["metadata"] as! [String: Any]
        XCTAssertEqual(metadata["backend"] as? String, "cpu")
        XCTAssertNotNil(metadata["fit_time_seconds"])
        XCTAssertNotNil(metadata["device"])
    }

    func testRawROIsAndOptionsInPixels() throws {
        // Four 15x15 spots, fitted whole, reported in pixels.
        var values: [Float] = []
        for i in 0..<4 {
            for y in 0..<15 { for x in 0..<15 {
                let dx = Double(x) - 7.2 - Double(i) * 0.1, dy = Double(y) - 6.9
                values.append(Float(500 * exp(-(dx * dx + dy * dy) / 8) + 20))
            } }
        }
        let raw = folder + "/rois.raw"
        try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: raw)) }
        let run = try femtofit(["fit", raw, "--raw-shape", "15x15", "--output", folder + "/out", "--precision", "double"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rows = try String(contentsOfFile: folder + "/out/fits.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(rows[0].hasPrefix("index,amplitude,x0_px,y0_px,sigma_px,offset"))
        XCTAssertEqual(Double(rows[4].split(separator: ",")[2])!, 7.5, accuracy: 1e-4)
        XCTAssertEqual(Double(rows[1].split(separator: ",")[4])!, 2, accuracy: 1e-4)

        let wrong = try femtofit(["fit", raw, "--raw-shape", "16x15", "--output", folder + "/x"])
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("rois.raw") && wrong.stderr.contains("16x15"), wrong.stderr)
    }

    /// Huge-batch options: --csv off writes fits.h5 and fits.json only, and analyze reads fits.h5;
    /// the exit-code table: 64 for usage, 2 for bad input, 74 when the outputs cannot be written.
    func testCSVOffAnalyzeFromFitsH5AndExitCodes() throws {
        let sim = try femtofit(["simulate", "--output", folder, "--seed", "9"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let out = folder + "/fit"
        let run = try femtofit(["fit", folder + "/stack.tif", "--output", out, "--delays", folder + "/delays.txt",
                                "--pixel-size", "55.6", "--csv", "off", "--no-shape-check"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["fits.h5", "fits.json"])
        XCTAssertTrue(run.stderr.contains("fitting: 60/60") && run.stderr.contains("frames/s"), run.stderr)
        let analysis = try femtofit(["analyze", out + "/fits.h5", "--output", folder + "/analysis"])
        XCTAssertEqual(analysis.status, 0, analysis.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/analysis/analysis.json"))

        let usage = try femtofit(["fit", folder + "/stack.tif", "--output", out, "--csv", "maybe"])
        XCTAssertEqual(usage.status, 64, usage.stderr)
        try "x".write(toFile: folder + "/plain", atomically: true, encoding: .utf8)
        let unwritable = try femtofit(["fit", folder + "/stack.tif", "--output", folder + "/plain/out"])
        XCTAssertEqual(unwritable.status, 74, unwritable.stderr)
        XCTAssertTrue(unwritable.stderr.contains("plain/out"), unwritable.stderr)
        let missing = try femtofit(["fit", folder + "/none.h5:/frames", "--output", folder + "/o"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("none.h5") && missing.stderr.contains("no such file"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/o/fits.json"))
    }

    func testBadInputGetsClearErrorsAndExitCodes() throws {
        _ = try femtofit(["simulate", "--output", folder, "--size", "48x40"])
        let stack = folder + "/stack.tif"
        func expectFailure(_ arguments: [String], _ fragments: [String], status: Int32 = 2) throws {
            let run = try femtofit(arguments)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            for fragment in fragments { XCTAssertTrue(run.stderr.contains(fragment), "\(arguments): '\(fragment)' not in \(run.stderr)") }
        }
        try expectFailure(["fit", folder + "/missing.tif", "-o", folder + "/o"], ["missing.tif", "no such file"])
        try "x\n".write(toFile: folder + "/text.tif", atomically: true, encoding: .utf8)
        try expectFailure(["fit", folder + "/text.tif", "-o", folder + "/o"], ["text.tif", "not a readable TIFF"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: stack))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: folder + "/cut.tif"))
        try expectFailure(["fit", folder + "/cut.tif", "-o", folder + "/o"], ["cut.tif"])
        try "0\n10\n".write(toFile: folder + "/short.txt", atomically: true, encoding: .utf8)
        try expectFailure(["fit", stack, "-o", folder + "/o", "--delays", folder + "/short.txt"], ["short.txt", "2 delays", "60 frames"])
        try "0\nzero\n".write(toFile: folder + "/words.txt", atomically: true, encoding: .utf8)
        try expectFailure(["fit", stack, "-o", folder + "/o", "--delays", folder + "/words.txt"], ["words.txt", "line 2"])
        try expectFailure(["fit", stack, "-o", folder + "/o", "--model", "lorentz"], ["unknown model"], status: 64)
        try expectFailure(["fit", stack, "-o", folder + "/o", "--pixel-size", "-3"], ["--pixel-size"], status: 64)
        try expectFailure(["fit", stack, "-o", folder + "/o", "--roi", "big"], ["--roi"], status: 64)
        // Negative data under MLE: dT/T-like values.
        let negative = folder + "/negative.raw"
        try [Float](repeating: -0.001, count: 225).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: negative)) }
        try expectFailure(["fit", negative, "--raw-shape", "15x15", "-o", folder + "/o", "--estimator", "mle"], ["negative", "lse"])
        // An all-zero ROI is a per-fit state with its reason, not a crash.
        let zeros = folder + "/zeros.raw"
        try [Float](repeating: 0, count: 450).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: zeros)) }
        let run = try femtofit(["fit", zeros, "--raw-shape", "15x15", "-o", folder + "/z"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.contains("2 invalid_input"), run.stdout)
        XCTAssertTrue(run.stderr.contains("frame 0: invalid input") && run.stderr.contains("all-zero"), run.stderr)
    }

    /// The README's main command: acquire on the simulated microscope, fit, analyse, report —
    /// and the numbers it prints are the simulated film's within their errors.
    func testDemoRunsTheWholeChain() throws {
        let run = try femtofit(["demo", "--output", folder + "/demo"])
        XCTAssertEqual(run.status, 0, run.stderr)
        for step in ["1/4 acquiring", "2/4", "4/4", "D_max", "band_like", "auger_assisted", "truth per fluence", "done in"] {
            XCTAssertTrue(run.stdout.contains(step), step)
        }
        for file in ["plan.toml", "dataset/dataset.json", "dataset/acquisition.log", "dataset/points.jsonl", "fits.csv", "fits.json",
                     "analysis.json", "points.csv", "msd.svg", "diffusivity.svg", "length.svg", "report.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/demo/" + file), file)
        }
        let svg = try String(contentsOfFile: folder + "/demo/msd.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<circle") && svg.contains("<polyline") && svg.contains("simulated truth"))
        // D_max of each fluence (<N_abs> 0.09, 0.12, 0.15) agrees with the simulated film's
        // (95, 90.3, 85.7 cm^2/s) within three of its reported standard errors, and those errors
        // are under 15 % of the value.
        let found = run.stdout.split(separator: "\n").compactMap { line -> (Double, Double)? in
            guard line.hasPrefix("fluence "), let range = line.range(of: "D_max ") else { return nil }
            let words = line[range.upperBound...].split(separator: " ")
            guard words.count > 2, let value = Double(words[0]), let error = Double(words[2].trimmingCharacters(in: .punctuationCharacters)) else { return nil }
            return (value, error)
        }
        XCTAssertEqual(found.count, 3, run.stdout)
        for ((value, error), truth) in zip(found, [95.0, 90 + 1.0 / 3, 85 + 2.0 / 3]) {
            XCTAssertEqual(value, truth, accuracy: 3 * error, run.stdout)
            XCTAssertLessThan(error, 0.15 * truth, run.stdout)
        }
        // A second demo into the same folder replaces the first.
        XCTAssertEqual(try femtofit(["demo", "--output", folder + "/demo"]).status, 0)
    }
}
