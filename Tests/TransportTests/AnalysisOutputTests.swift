import Foundation
import Transport
import XCTest

/// fits.csv in, analysis.json / CSV / plots / report out, and the clear errors on bad input.
final class AnalysisOutputTests: XCTestCase {
    /// A fits.csv as `femtofit fit` writes it for a grid, widths in pixels.
    func gridCSV(pixelSize: Double, fluences: [Double]) -> String {
        var text = "index,fluence,wavelength_nm,spot,delay_fs,amplitude,x0_px,y0_px,sigma_px,offset,amplitude_err,x0_px_err,y0_px_err,sigma_px_err,offset_err,state,chi2,iterations\n"
        for (i, f) in fluences.enumerated() {
            let w = SimulatedWidths(.pureFilm(fluence: f), precision: 0.3, seed: 40 + UInt64(i))
            for (k, t) in w.delays.enumerated() {
                let state = t < 0 ? "invalid_input" : "converged"
                let sigma = w.sigmas[k].isFinite ? w.sigmas[k] / pixelSize : Double.nan
                text += "\(k),\(f),700.0,0,\(t),1,10,10,\(sigma),0,0.1,0.01,0.01,\(w.errors[k] / pixelSize),0.01,\(state),1.0,5\n"
            }
        }
        return text
    }

    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "femtofit-analysis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testGridInPixelsGivesOneBlockPerSeriesAndTheSchema() throws {
        let folder = try temporaryFolder()
        let table = try FitsTable(csv: gridCSV(pixelSize: 55.6, fluences: [0.045, 0.09, 0.135]), source: "fits.csv", pixelSize: 55.6)
        XCTAssertEqual(table.series.count, 3)
        XCTAssertEqual(table.series[0].valid.filter { $0 }.count, 60)
        let settings = TransportAnalysis.Settings(temperature: 300, dotPitch: 3)
        let outcome = try TransportAnalyzer.analyse(table, settings: settings)
        XCTAssertTrue(outcome.disorder.isEmpty, "one wavelength: no disorder reading")
        let document = AnalysisDocument(femtofitVersion: "test", input: "fits.csv", settings: settings, pixelSizeNm: 55.6,
                                        blocks: outcome.blocks, notes: outcome.notes)
        let paths = try AnalysisReport(document: document).write(to: folder)
        let names = Set(paths.map { ($0 as NSString).lastPathComponent })
        XCTAssertTrue(names.isSuperset(of: ["analysis.json", "analysis.csv", "points.csv", "msd.svg", "diffusivity.svg", "length.svg", "report.html",
                                            "map_d_max_spot0.svg", "map_band_like_length_spot0.svg", "map_alpha_regime1_spot0.svg"]), "\(names)")
        let map = try String(contentsOfFile: folder + "/map_d_max_spot0.svg", encoding: .utf8)
        XCTAssertEqual(map.components(separatedBy: "<title>").count - 1, 3, "one coloured cell per fluence")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/analysis.json"))) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "femtofit-analysis/2")
        XCTAssertNil(json["d_max_cm2_s"], "a grid keeps its blocks under series only")
        let series = try XCTUnwrap(json["series"] as? [[String: Any]])
        XCTAssertEqual(series.count, 3)
        for (block, f) in zip(series, [0.045, 0.09, 0.135]) {
            XCTAssertEqual(block["fluence"] as? Double, f)
            let dMax = try XCTUnwrap(block["d_max_cm2_s"] as? [String: Any])
            let value = try XCTUnwrap(dMax["value"] as? Double), ci = try XCTUnwrap(dMax["ci95"] as? [Double])
            XCTAssertEqual(value, TransportTruth.pureFilm(fluence: f).bandDiffusivity, accuracy: 0.05 * value)
            XCTAssertTrue(ci[0] < value && value < ci[1])
            XCTAssertNotNil(dMax["stderr"] as? Double)
            let regimes = try XCTUnwrap(block["regimes"] as? [[String: Any]])
            XCTAssertEqual(regimes.compactMap { $0["kind"] as? String }, ["band_like", "auger_assisted", "hopping"])
            for r in regimes { for key in ["start_fs", "end_fs", "alpha", "d_cm2_s"] { XCTAssertNotNil(r[key] as? [String: Any], key) } }
            let band = try XCTUnwrap(block["band_like"] as? [String: Any])
            XCTAssertEqual(band["present"] as? Bool, true)
            let length = try XCTUnwrap((band["length_nm"] as? [String: Any])?["value"] as? Double)
            let dots = try XCTUnwrap((block["dots_crossed"] as? [String: Any])?["value"] as? Double)
            XCTAssertEqual(dots, length / 3, accuracy: 1e-9)
            XCTAssertNotNil(block["mobility_cm2_V_s"] as? [String: Any])
        }
        let csv = try String(contentsOfFile: folder + "/analysis.csv", encoding: .utf8)
        XCTAssertTrue(csv.contains("0.09,700.0,0,d_max_cm2_s,"))
        let svg = try String(contentsOfFile: folder + "/msd.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") || svg.contains("<svg"))
        XCTAssertTrue(svg.contains("fluence 0.135"), "a fluence series is overlaid in one MSD plot")
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        for piece in ["msd.svg", "diffusivity.svg", "length.svg", "300.0 K", "3.0 nm", "auger_assisted"] { XCTAssertTrue(html.contains(piece), piece) }
    }

    /// More series than the palette has colours: the curve plots draw a spread of them and say so;
    /// points.csv and the maps keep every series.
    func testManySeriesArePlottedAsASubsetThatIsNamed() throws {
        let folder = try temporaryFolder()
        let count = 20
        var text = "index,fluence,wavelength_nm,spot,delay_fs,sigma_nm,sigma_nm_err,state\n"
        for spot in 0..<count {
            let w = SimulatedWidths(.pureFilm(fluence: 0.09), precision: 0.3, seed: 70 + UInt64(spot))
            for k in w.delays.indices where w.delays[k] >= 0 {
                text += "\(k),0.09,700.0,\(spot),\(w.delays[k]),\(w.sigmas[k]),\(w.errors[k]),converged\n"
            }
        }
        let table = try FitsTable(csv: text, source: "fits.csv", pixelSize: nil)
        let outcome = try TransportAnalyzer.analyse(table, settings: .init())
        let document = AnalysisDocument(femtofitVersion: "test", input: "fits.csv", settings: .init(), pixelSizeNm: nil,
                                        blocks: outcome.blocks, notes: outcome.notes)
        _ = try AnalysisReport(document: document).write(to: folder)
        let drawn = AnalysisReport.palette.count
        for name in ["msd.svg", "diffusivity.svg", "length.svg"] {
            let svg = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            XCTAssertTrue(svg.contains("\(drawn) of \(count) series (all in points.csv)"), name)
            // The first and last series are among those drawn, and the second is not.
            XCTAssertTrue(svg.contains("spot 0") && svg.contains("spot 19"), name)
            XCTAssertFalse(svg.contains("spot 1<") || svg.contains("spot 1:") || svg.contains("spot 1 "), name)
        }
        let points = try String(contentsOfFile: folder + "/points.csv", encoding: .utf8)
        XCTAssertEqual(Set(points.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }).count, count)
    }

    func testSingleSeriesWithoutBandLikeWritesNulls() throws {
        let w = SimulatedWidths(.heterostructure90, precision: 0.3, seed: 9)
        var text = "index,delay_fs,sigma_nm,sigma_nm_err,state\n"
        for k in w.delays.indices { text += "\(k),\(w.delays[k]),\(w.sigmas[k]),\(w.errors[k]),\(w.delays[k] < 0 ? "invalid_input" : "converged")\n" }
        let table = try FitsTable(csv: text, source: "fits.csv", pixelSize: nil)
        let outcome = try TransportAnalyzer.analyse(table, settings: .init())
        let document = AnalysisDocument(femtofitVersion: "test", input: "fits.csv", settings: .init(), pixelSizeNm: nil,
                                        blocks: outcome.blocks, notes: outcome.notes)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: document.json()) as? [String: Any])
        XCTAssertTrue(json["d_max_cm2_s"] is NSNull, "a single series puts its block at the top level, absent numbers null")
        XCTAssertTrue(json["mobility_cm2_V_s"] is NSNull)
        let band = try XCTUnwrap(json["band_like"] as? [String: Any])
        XCTAssertEqual(band["present"] as? Bool, false)
        for key in ["length_nm", "persistence_fs", "alpha"] { XCTAssertTrue(band[key] is NSNull, key) }
        XCTAssertFalse((band["reason"] as? String ?? "").isEmpty)
        XCTAssertNotNil(json["sigma0_nm"] as? [String: Any])
    }

    /// A probe-wavelength scan whose bleach band red-shifts by 20 meV (tau 500 fs): the analysis
    /// reads sigma_inh = sqrt(2 kT 20 meV) = 32.2 meV at 300 K, and plots it.
    func testWavelengthScanGivesTheDisorder() throws {
        let wavelengths = stride(from: 760.0, through: 840, by: 10).map { $0 }
        let w = SimulatedWidths(.pureFilm, precision: 0.3, seed: 5)
        var text = "index,wavelength_nm,delay_fs,amplitude,sigma_nm,sigma_nm_err,state\n"
        for lambda in wavelengths {
            for (k, t) in w.delays.enumerated() where t >= 0 {
                let peak = 1.55 - 0.020 * (1 - exp(-t / 500))
                let amplitude = exp(-pow(BleachPeak.electronVoltNanometres / lambda - peak, 2) / (2 * 0.05 * 0.05))
                text += "\(k),\(lambda),\(t),\(amplitude),\(w.sigmas[k]),\(w.errors[k]),converged\n"
            }
        }
        let table = try FitsTable(csv: text, source: "scan.csv", pixelSize: nil)
        XCTAssertEqual(table.series.count, wavelengths.count)
        let outcome = try TransportAnalyzer.analyse(table, settings: .init())
        let reading = try XCTUnwrap(outcome.disorder.first, "\(outcome.notes)")
        XCTAssertEqual(reading.disorder.sigmaInhMeV.value, 32.16, accuracy: 0.05 * 32.16)
        XCTAssertEqual(reading.disorder.tauFs.value, 500, accuracy: 50)
        let folder = try temporaryFolder()
        let document = AnalysisDocument(femtofitVersion: "test", input: "scan.csv", settings: .init(), pixelSizeNm: nil,
                                        blocks: outcome.blocks, disorder: outcome.disorder, notes: outcome.notes)
        let paths = try AnalysisReport(document: document).write(to: folder)
        XCTAssertTrue(paths.contains { $0.hasSuffix("disorder.svg") })
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/analysis.json"))) as? [String: Any])
        let disorder = try XCTUnwrap((json["disorder"] as? [[String: Any]])?.first)
        let sigma = try XCTUnwrap((disorder["sigma_inh_meV"] as? [String: Any])?["value"] as? Double)
        XCTAssertEqual(sigma, reading.disorder.sigmaInhMeV.value)
    }

    /// Spots on a 2x2 stage raster, one without a band-like regime: the raster map places each
    /// spot by its stage position, and the spot without a number is a grey cell, not a colour.
    func testSpotRasterMapPlacesSpotsAndMarksMissingNumbers() throws {
        var blocks: [AnalysisDocument.Block] = []
        for spot in 0..<4 {
            let truth: TransportTruth = spot == 3 ? .heterostructure90 : .pureFilm
            let w = SimulatedWidths(truth, precision: 0.3, seed: 60 + UInt64(spot))
            let a = try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)
            blocks.append(.init(key: .init(fluence: 0.1, wavelengthNm: 700, spot: spot), analysis: a))
        }
        let positions: [Int: (x: Double, y: Double)] = [0: (0, 0), 1: (10, 0), 2: (0, 10), 3: (10, 10)]
        let maps = SummaryMaps.maps(blocks, spotPositions: positions)
        let dMax = try XCTUnwrap(maps.first { $0.0 == "map_d_max_spots.svg" }?.1)
        XCTAssertEqual(dMax.columnLabels, ["0", "10"])
        XCTAssertEqual(dMax.rowLabels, ["0", "10"])
        XCTAssertEqual(dMax.values[0][1], blocks[1].analysis.dMax!.value)
        XCTAssertTrue(dMax.values[1][1].isNaN, "the 90 vol% spot has no D_max")
        let svg = dMax.render()
        XCTAssertEqual(svg.components(separatedBy: "<title>").count - 1, 3)
        XCTAssertTrue(svg.contains("#e6e6e6"))
    }

    /// Short series (6 to 8 frames after time zero) are analysed without trouble (the larger
    /// segment counts that cannot hold 3 frames a segment are skipped), and with one series left
    /// the document's notes (a series not analysed) stay beside the block's.
    func testShortSeriesAndNotesOfASingleAnalysedSeries() throws {
        for frames in 6...8 {
            let w = SimulatedWidths(.pureFilm, delays: (1...frames).map { Double($0) * 50 }, precision: 0.3, seed: UInt64(frames))
            let a = try TransportAnalysis(delays: w.delays, sigmas: w.sigmas, errors: w.errors, valid: w.valid)
            XCTAssertLessThanOrEqual(a.regimes.count, frames / RegimeSegmentation.minimumPoints)
        }
        var text = "index,spot,delay_fs,sigma_nm,sigma_nm_err\n"
        let w = SimulatedWidths(.pureFilm, precision: 0.3, seed: 8)
        for k in w.delays.indices where w.delays[k] >= 0 { text += "\(k),0,\(w.delays[k]),\(w.sigmas[k]),\(w.errors[k])\n" }
        text += "0,1,10,141,0.3\n1,1,20,142,0.3\n"
        let outcome = try TransportAnalyzer.analyse(try FitsTable(csv: text, source: "fits.csv", pixelSize: nil), settings: .init())
        XCTAssertEqual(outcome.blocks.count, 1)
        let document = AnalysisDocument(femtofitVersion: "test", input: "fits.csv", settings: .init(), pixelSizeNm: nil,
                                        blocks: outcome.blocks, notes: outcome.notes)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: document.json()) as? [String: Any])
        let notes = try XCTUnwrap(json["notes"] as? [String])
        XCTAssertTrue(notes.contains { $0.contains("spot 1: not analysed") }, "\(notes)")
    }

    /// Elliptic widths combine as a geometric mean with its delta-method error; a spot index that
    /// is not a whole number is refused.
    func testEllipticWidthsAndSpotIndices() throws {
        let table = try FitsTable(csv: "index,delay_fs,sigma_x_nm,sigma_y_nm,sigma_x_nm_err,sigma_y_nm_err\n0,10,200,100,4,1\n",
                                  source: "fits.csv", pixelSize: nil)
        let s = table.series[0]
        XCTAssertEqual(s.sigmas[0], (200.0 * 100).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(s.errors[0], (200.0 * 100).squareRoot() / 2 * (0.02 * 0.02 + 0.01 * 0.01).squareRoot(), accuracy: 1e-9)
        XCTAssertThrowsError(try FitsTable(csv: "index,spot,delay_fs,sigma_nm,sigma_nm_err\n0,nan,10,141,0.3\n", source: "f.csv", pixelSize: nil)) {
            XCTAssertTrue("\($0)".contains("whole number"), "\($0)")
        }
    }

    func testBadFitsFilesGetClearErrors() throws {
        func message(_ csv: String, pixelSize: Double? = nil) -> String {
            do { _ = try FitsTable(csv: csv, source: "run7/fits.csv", pixelSize: pixelSize); return "no error" } catch { return "\(error)" }
        }
        let noDelays = message("index,sigma_nm,sigma_nm_err,state\n0,141,0.3,converged\n")
        XCTAssertTrue(noDelays.contains("run7/fits.csv") && noDelays.contains("delay_fs"), noDelays)
        let pixels = message("index,delay_fs,sigma_px,sigma_px_err\n0,10,2.5,0.01\n")
        XCTAssertTrue(pixels.contains("--pixel-size"), pixels)
        let truncated = message("index,delay_fs,sigma_nm,sigma_nm_err\n0,10,141,0.3\n1,20\n")
        XCTAssertTrue(truncated.contains("line 3") && truncated.contains("truncated"), truncated)
        let text = message("index,delay_fs,sigma_nm,sigma_nm_err\n0,10,abc,0.3\n")
        XCTAssertTrue(text.contains("line 2") && text.contains("sigma_nm"), text)
        let duplicate = message("index,delay_fs,sigma_nm,sigma_nm_err\n0,10,141,0.3\n1,10,142,0.3\n")
        XCTAssertTrue(duplicate.contains("twice"), duplicate)
        let noWidth = message("index,delay_fs,amplitude\n0,10,1\n")
        XCTAssertTrue(noWidth.contains("width"), noWidth)
        XCTAssertThrowsError(try TransportAnalysis(delays: [1], sigmas: [1], errors: [1], valid: [true], settings: .init(temperature: -3)))
        let tooFew = SimulatedWidths(.pureFilm, delays: [0, 20, 40, 60], precision: 0.3, seed: 1)
        XCTAssertThrowsError(try TransportAnalysis(delays: tooFew.delays, sigmas: tooFew.sigmas, errors: tooFew.errors, valid: tooFew.valid)) { error in
            XCTAssertTrue("\(error)".contains("at least"), "\(error)")
        }
    }
}
