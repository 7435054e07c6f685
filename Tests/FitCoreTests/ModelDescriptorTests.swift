import FitCore
import Foundation
import XCTest

/// The model table is the one place a model's facts live: every id has its row, and the files
/// that cannot read the table (the C headers, the OpenCL kernels, the generated accumulators)
/// agree with it. A model added without one of its parts fails here (docs/adding-a-model.md).
final class ModelDescriptorTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func read(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    func testEveryModelHasOneRowAndTheRowsAreConsistent() {
        let table = ModelDescriptor.builtIn
        XCTAssertEqual(table.map(\.id), ModelID.allCases.map(\.rawValue), "one row per ModelID case, in its order")
        XCTAssertEqual(Set(table.map(\.name)).count, table.count, "names are unique")
        XCTAssertEqual(Set(table.map(\.cName)).count, table.count, "C names are unique")
        XCTAssertEqual(Set(table.compactMap(\.gpufitID)).count, table.compactMap(\.gpufitID).count, "Gpufit ids are unique")
        for model in ModelID.allCases {
            let row = model.descriptor
            XCTAssertEqual(model.parameterCount, row.parameterCount, "\(row.name): ModelID.parameterCount's literal")
            XCTAssertEqual(ModelID(name: row.name.uppercased()), model, "\(row.name): found by name")
            XCTAssertEqual(row.accumulator, row.parameterCount <= 9 ? .writtenOut : .loop,
                           "\(row.name): written-out accumulators up to 9 parameters, loops beyond")
            XCTAssertEqual(row.startRule == .gridSpot, row.geometry == .grid && !row.name.hasPrefix("spline"),
                           "\(row.name): grid models start from the spot rule, but for the splines (start values given)")
            XCTAssertEqual(Set(row.parameterNames).count, row.parameterCount, "\(row.name): parameter names are unique")
        }
        XCTAssertEqual(ModelDescriptor.names(.grid), "gauss2d, gauss2d-elliptic, gauss2d-rotated, cauchy2d-elliptic, spline2d, spline3d or gauss2d-pixelated")
    }

    /// The geometric facts in each row name the parameters they should: positions are `x0`/`y0`,
    /// lengths are positions and widths, sign-free widths are lengths; the grid models carry both
    /// positions, only the straight line does without contrast.
    func testPositionsLengthsAndWidthsNameTheRightParameters() {
        for row in ModelDescriptor.builtIn {
            let names = row.parameterNames
            XCTAssertEqual(row.xParameter.map { names[$0] }, row.geometry == .grid || row.startRule == .curvePeak || row.name == "spline1d" ? "x0" : nil, row.name)
            XCTAssertEqual(row.yParameter.map { names[$0] }, row.geometry == .grid ? "y0" : nil, row.name)
            XCTAssertTrue(Set(row.signFreeWidths).isSubset(of: row.lengthParameters), "\(row.name): sign-free widths are lengths")
            for j in row.lengthParameters {
                XCTAssertTrue(names[j].hasPrefix("x0") || names[j].hasPrefix("y0") || names[j].hasPrefix("sigma") || names[j].hasPrefix("gamma"),
                              "\(row.name): \(names[j]) is not a length")
            }
            XCTAssertEqual(row.signFreeWidths.map { names[$0] }, names.filter { $0.hasPrefix("sigma") || $0.hasPrefix("gamma") },
                           "\(row.name): every width, and only widths, is sign-free")
            let testFunction = row.gpufitID == 6 || row.gpufitID == 7
            XCTAssertEqual(row.needsContrast, row.name != "linear1d" && !testFunction,
                           "\(row.name): only the line and the test functions (fitted to zeros) do without contrast")
        }
    }

    /// A model id is a key of the table: an id without a row is no model, and an id reads as its name.
    func testIDsWithoutARowAreNoModel() {
        XCTAssertNil(ModelID(rawValue: 11), "SPLINE_3D_MULTICHANNEL: Gpufit's, not served yet")
        XCTAssertNil(ModelID(rawValue: 999))
        XCTAssertEqual(ModelID(rawValue: 102), .kinetics2)
        XCTAssertEqual("\(ModelID.gauss2DElliptic)", "gauss2d-elliptic")
        XCTAssertTrue(ModelID.allCases.allSatisfy(\.isBuiltIn))
    }

    /// femtofit.h's `FEMTOFIT_MODEL_*` constants are exactly the table's C names and ids.
    func testTheCHeaderHasEveryModelsID() throws {
        let header = try read("Sources/CFemtofit/include/femtofit.h")
        let pattern = try NSRegularExpression(pattern: #"#define\s+FEMTOFIT_MODEL_([A-Z0-9_]+)\s+(\d+)"#)
        var defined: [String: Int32] = [:]
        for match in pattern.matches(in: header, range: NSRange(header.startIndex..., in: header)) {
            let text = header as NSString
            defined[text.substring(with: match.range(at: 1))] = Int32(text.substring(with: match.range(at: 2)))
        }
        XCTAssertEqual(defined, Dictionary(uniqueKeysWithValues: ModelDescriptor.builtIn.map { ($0.cName, $0.cID) }))
    }

    /// gpufit.h's `enum ModelID` gives the Gpufit models the ids the table gives them.
    func testGpufitHeaderAgreesWithTheGpufitIDs() throws {
        let header = try read("Sources/CFemtofit/include/gpufit.h")
        let body = try XCTUnwrap(header.range(of: #"enum ModelID \{[^}]*\}"#, options: .regularExpression).map { String(header[$0]) })
        for row in ModelDescriptor.builtIn {
            if let id = row.gpufitID {
                XCTAssertTrue(body.range(of: #"\b\#(row.cName) = \#(id)\b"#, options: .regularExpression) != nil, "gpufit.h: \(row.cName) = \(id)")
            } else {
                XCTAssertFalse(body.contains(row.cName + " "), "gpufit.h names \(row.cName), which the table gives no Gpufit id")
            }
        }
    }

    /// Each row's OpenCL kernel exists and defines the model function the LM kernel calls.
    func testEveryKernelFileExists() throws {
        for row in ModelDescriptor.builtIn {
            let text = try read("Kernels/" + row.kernelFile)
            XCTAssertTrue(text.contains("ff_model"), "Kernels/\(row.kernelFile) (\(row.name)) defines no ff_model")
        }
    }

    /// The generated accumulators cover every written-out count, and the generated files are
    /// what scripts/generate-lane-vectors.py writes today.
    func testGeneratedAccumulatorsCoverTheTableAndAreCurrent() throws {
        let script = try read("scripts/generate-lane-vectors.py")
        let countsLine = try XCTUnwrap(script.split(separator: "\n").first { $0.hasPrefix("COUNTS = [") })
        let counts = Set(countsLine.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }.split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        let maxLine = try XCTUnwrap(script.split(separator: "\n").first { $0.hasPrefix("MAX = ") })
        let maximum = try XCTUnwrap(Int(maxLine.dropFirst("MAX = ".count)))
        for row in ModelDescriptor.builtIn {
            XCTAssertLessThanOrEqual(row.parameterCount, maximum, "\(row.name): ParameterLanes holds \(maximum) parameters")
            if row.accumulator == .writtenOut {
                XCTAssertTrue(counts.contains(row.parameterCount), "\(row.name): add \(row.parameterCount) to COUNTS in scripts/generate-lane-vectors.py")
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "scripts/generate-lane-vectors.py", "--check"]
        process.currentDirectoryURL = Self.root
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, said)
    }
}
