import FemtofitTestSupport
import FitCore
import FitEngine
import Foundation
import Pipeline
import Simulation
import TAMData
import XCTest

/// Kinetics streams: traces are fitted a block at a time with the same results as all at once,
/// the tables grow block by block and take their names only when complete, and an HDF5 matrix is
/// read a block of rows at a time, in either orientation.
final class KineticsStreamingTests: XCTestCase {
    func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "femtofit-kinetics-stream-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        return folder
    }

    /// Blocks of 7 traces give the fits one block of all gives, delivered in order, and held
    /// parameters stay where they were put.
    func testBlocksGiveTheSameFitsAsOneBlock() throws {
        let seed = freshSeed(175)
        let s = TransientAbsorptionSimulation(seed: seed, wavelengthCount: 24)
        let engine = try FitEngine(choice: .cpu, precision: .double)
        let fitter = KineticsTraces(components: .fixed(2))
        let whole = try fitter.fit(delays: s.delays, traces: s.traces, engine: engine)
        var streamed: [KineticsTraceFit] = [], ranges: [Range<Int>] = [], reads: [Range<Int>] = []
        let m = s.delays.count
        try fitter.fit(delays: s.delays, traceCount: 24, engine: engine, blockSize: 7, read: { range in
            reads.append(range)
            return Array(s.traces[range.lowerBound * m ..< range.upperBound * m])
        }, deliver: { range, fits in
            ranges.append(range)
            XCTAssertEqual(fits.count, range.count)
            streamed += fits
        })
        XCTAssertEqual(ranges, [0..<7, 7..<14, 14..<21, 21..<24])
        XCTAssertEqual(reads, ranges, "each block read once")
        XCTAssertEqual(streamed.count, whole.count)
        for (i, (a, b)) in zip(streamed, whole).enumerated() {
            XCTAssertEqual(a.state, b.state, "trace \(i), seed \(seed)")
            for j in a.parameters.indices where a.parameters[j].isFinite {
                XCTAssertEqual(a.parameters[j], b.parameters[j], accuracy: 1e-9 * max(1, abs(b.parameters[j])), "trace \(i), parameter \(j), seed \(seed)")
            }
        }
        // Held time zero and response width: every fit keeps its start's, with no error, and the
        // BIC counts two parameters fewer.
        let held = KineticsTraces(components: .fixed(1), holdsTimeZero: true, holdsResponseWidth: true)
        let starts = [(t0: Double, irf: Double)](repeating: (123, 61), count: 24)
        let heldFits = try held.fit(delays: s.delays, traces: s.traces, engine: engine, timeZeros: starts)
        let free = try KineticsTraces(components: .fixed(1)).fit(delays: s.delays, traces: s.traces, engine: engine, timeZeros: starts)
        for (i, fit) in heldFits.enumerated() where fit.state != .invalidInput {
            XCTAssertEqual(fit.parameters[2], 123, "trace \(i): t0 held")
            XCTAssertEqual(fit.parameters[3], 61, "trace \(i): sigma held")
            XCTAssertTrue(fit.standardErrors[2] == 0 || fit.standardErrors[2].isNaN, "trace \(i): a held value has no error, \(fit.standardErrors[2])")
            let points = Double(s.delays.count)
            // A long-lived component's lifetime is held too.
            let heldCount = fit.longLived ? 2 : 3, freeCount = free[i].longLived ? 4 : 5
            XCTAssertEqual(fit.bic - points * log(fit.chiSquare / points), Double(heldCount) * log(points), accuracy: 1e-9, "trace \(i): free parameters")
            XCTAssertEqual(free[i].bic - points * log(free[i].chiSquare / points), Double(freeCount) * log(points), accuracy: 1e-9, "trace \(i)")
        }
    }

    /// The table writer: nothing under the tables' names until commit; then the CSV and HDF5
    /// hold every row, in order; an aborted writer leaves nothing at all.
    func testTableWriterAppearsWholeOnCommit() throws {
        let folder = try temporaryFolder()
        let fit = KineticsTraceFit(model: .kinetics1, longLived: false, state: .converged, parameters: [2, 300, 10, 50, 0.1],
                                   standardErrors: [0.1, 5, 1, 2, 0.01], chiSquare: 3, bic: -1, iterations: 4)
        var other = fit
        other.state = .atBound
        let writer = try KineticsTableWriter(folder: folder, delays: [0, 10, 20])
        try writer.append([fit, other], labels: [500, 501])
        try writer.append([fit], labels: [502])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/kinetics.csv"), "no name before the commit")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/kinetics.h5"))
        try writer.commit()
        let text = try String(contentsOfFile: folder + "/kinetics.csv", encoding: .utf8)
        XCTAssertEqual(text, KineticsTable.text([fit, other, fit], labels: [500, 501, 502]))
        let file = try HDF5File.open(folder + "/kinetics.h5")
        XCTAssertEqual(try file.dataset("wavelength_nm").readAll(), [500, 501, 502])
        XCTAssertEqual(try file.dataset("honest").readAll(), [1, 0, 1])
        XCTAssertEqual(try file.dataset("delay_fs").readAll(), [0, 10, 20])
        let values = try file.dataset("values")
        XCTAssertEqual(values.shape.dimensions, [3, KineticsTraceFit.wideNames.count])
        XCTAssertEqual(try values.readAll()[1], 300, "tau_1 of the first row")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["kinetics.csv", "kinetics.h5"], "no partial file left")

        let aborted = try temporaryFolder()
        do {
            let writer = try KineticsTableWriter(folder: aborted, delays: [0, 10, 20])
            try writer.append([fit], labels: [500])
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: aborted), [], "a writer dropped before its commit leaves nothing")
    }

    /// A CSV matrix read a block at a time gives what reading it whole gives, forwards and from
    /// the top again; a bad row far down is found when its block is read, named by its line.
    func testCSVMatrixIsReadInBlocks() throws {
        let folder = try temporaryFolder()
        let count = 50, delays: [Double] = [-100, 0, 100, 300]
        let values = (0..<(count * 4)).map { Float($0) / 8 }
        let matrix = TraceMatrix(delays: delays, wavelengths: (0..<count).map { 400 + Double($0) }, values: values)
        try matrix.write(to: folder + "/m.csv")
        let source = try CSVTraceMatrix(folder + "/m.csv")
        XCTAssertEqual(source.traceCount, count)
        XCTAssertEqual(source.delays, delays)
        XCTAssertEqual(try source.read(0..<20), Array(values[0..<80]))
        XCTAssertEqual(try source.read(20..<50), Array(values[80..<200]))
        XCTAssertEqual(try source.labels(10..<12), [410, 411])
        XCTAssertEqual(try source.read(5..<7), Array(values[20..<28]), "an earlier block reads from the top again")
        XCTAssertEqual(try TraceMatrix.read(folder + "/m.csv"), matrix)
        var text = try String(contentsOfFile: folder + "/m.csv", encoding: .utf8)
        text += "999,1,2\n"
        try text.write(toFile: folder + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = try CSVTraceMatrix(folder + "/bad.csv")
        XCTAssertEqual(bad.traceCount, count + 1)
        XCTAssertEqual(try bad.read(0..<count).count, count * 4, "the good rows read")
        XCTAssertThrowsError(try bad.read(count..<(count + 1))) {
            XCTAssertTrue("\($0)".contains("bad.csv") && "\($0)".contains("line \(count + 2) has 3 cells"), "\($0)")
        }
    }

    /// An HDF5 trace matrix is read block by block, wavelength-major or delay-major, its axes
    /// beside it; every problem names the file and says what to do.
    func testHDF5MatrixIsReadInBlocksInEitherOrientation() throws {
        let folder = try temporaryFolder()
        let delays: [Double] = [-100, 0, 50, 200], wavelengths: [Double] = [450, 500, 550]
        let values: [Float] = (0..<12).map { Float($0) * 0.5 }
        func write(_ name: String, _ body: (HDF5File) throws -> Void) throws -> String {
            let path = folder + "/" + name
            let file = try HDF5File.create(path)
            try body(file)
            try file.close()
            return path
        }
        let rows = try write("rows.h5") { file in
            try file.createGroup("/ta")
            try file.write("/ta/signal", dimensions: [3, 4], values: values, as: .float32)
            try file.write("/ta/delay_fs", dimensions: [4], values: delays, as: .float64)
            try file.write("/wavelength_nm", dimensions: [3], values: wavelengths, as: .float64)
        }
        let matrix = try HDF5TraceMatrix(rows + ":/ta/signal")
        XCTAssertFalse(matrix.delaysFirst)
        XCTAssertEqual(matrix.delays, delays)
        XCTAssertEqual(matrix.traceCount, 3)
        XCTAssertEqual(try matrix.read(1..<3), Array(values[4..<12]))
        XCTAssertEqual(matrix.labels(1..<2), [500])
        // Delays first: the same traces.
        var transposed = [Float](repeating: 0, count: 12)
        for w in 0..<3 { for d in 0..<4 { transposed[d * 3 + w] = values[w * 4 + d] } }
        let columns = try write("columns.h5") { file in
            try file.write("/data", dimensions: [4, 3], values: transposed, as: .float32)
            try file.write("/delay_fs", dimensions: [4], values: delays, as: .float64)
            try file.write("/wavelength_nm", dimensions: [3], values: wavelengths, as: .float64)
        }
        let delayMajor = try HDF5TraceMatrix(columns)
        XCTAssertTrue(delayMajor.delaysFirst, "a bare file takes /data")
        XCTAssertEqual(try delayMajor.read(0..<3), values)
        // Problems.
        let noAxis = try write("noaxis.h5") { file in
            try file.write("/signal", dimensions: [3, 4], values: values, as: .float32)
            try file.write("/delay_fs", dimensions: [4], values: delays, as: .float64)
        }
        let wrongShape = try write("shape.h5") { file in
            try file.write("/signal", dimensions: [2, 6], values: values, as: .float32)
            try file.write("/delay_fs", dimensions: [4], values: delays, as: .float64)
            try file.write("/wavelength_nm", dimensions: [3], values: wavelengths, as: .float64)
        }
        let falling = try write("falling.h5") { file in
            try file.write("/signal", dimensions: [3, 4], values: values, as: .float32)
            try file.write("/delay_fs", dimensions: [4], values: delays.reversed(), as: .float64)
            try file.write("/wavelength_nm", dimensions: [3], values: wavelengths, as: .float64)
        }
        let empty = try write("empty.h5") { _ in }
        for (path, expected) in [(noAxis, "no wavelength_nm"), (wrongShape, "2 x 6"), (falling, "rising strictly"),
                                 (empty, "name the traces' dataset"), (rows + ":/ta/missing", "no dataset /ta/missing"),
                                 (folder + "/absent.h5", "no such file")] {
            XCTAssertThrowsError(try HDF5TraceMatrix(path), path) { error in
                XCTAssertTrue("\(error)".contains(path.components(separatedBy: ".h5:").first!) && "\(error)".contains(expected), "\(error)")
            }
        }
    }
}
