import Foundation
import XCTest

/// The module layering of docs/architecture.md holds: every module imports only what its row of
/// the allowed-edges table lists, Package.swift declares nothing beyond it, and every import of
/// one of our modules is declared (SwiftPM finds an undeclared module whenever something else
/// built it first, so the build alone does not catch a missing declaration).
final class ModuleEdgeTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testImportsAndDeclaredDependenciesFollowTheAllowedEdges() throws {
        let allowed = try ModuleEdges.allowed(markdown: String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8))
        let targets = ModuleEdges.targets(manifest: try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8))
        XCTAssertGreaterThan(targets.count, 15, "Package.swift's targets were not found: the parser needs updating")
        var imports: [String: Set<String>] = [:]
        for target in targets where !target.isTest {
            imports[target.name] = try ModuleEdges.imports(under: Self.root.appendingPathComponent(target.path))
        }
        let violations = ModuleEdges.violations(allowed: allowed, targets: targets, imports: imports)
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        // Every edge the issue forbids stays out of the table itself.
        for (from, to) in [("TAMData", "Transport"), ("TAMData", "FitEngine"), ("TAMData", "Pipeline"), ("TAMData", "FitCore"),
                           ("TAMData", "Simulation"), ("Acquisition", "Transport"),
                           ("FitCore", "FitEngine"), ("FitCPU", "FitOpenCL"), ("Physics", "FitCore")] {
            XCTAssertFalse(allowed[from, default: []].contains(to), "docs/architecture.md allows the forbidden edge \(from) -> \(to)")
        }
    }

    /// The checker itself finds each kind of violation.
    func testTheCheckerFindsForbiddenUndeclaredAndMissingRows() {
        let allowed = ["A": Set<String>(), "B": ["A"], "C": ["B"]]
        let targets = [ModuleEdges.Target(name: "A", path: "Sources/A", dependencies: [], isTest: false),
                       ModuleEdges.Target(name: "B", path: "Sources/B", dependencies: ["A"], isTest: false),
                       ModuleEdges.Target(name: "C", path: "Sources/C", dependencies: ["B", "A"], isTest: false),
                       ModuleEdges.Target(name: "D", path: "Sources/D", dependencies: [], isTest: false)]
        let found = ModuleEdges.violations(allowed: allowed, targets: targets,
                                           imports: ["A": ["B", "Foundation"], "B": ["A"], "C": ["B"], "D": []])
        XCTAssertTrue(found.contains { $0.contains("A imports B, which its row does not allow") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("A imports B, which is not declared") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("C declares A in Package.swift") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("D has no row") }, "\(found)")
        XCTAssertEqual(found.count, 4, "\(found)")
        XCTAssertEqual(ModuleEdges.targets(manifest: """
            .target(name: "X", dependencies: ["Y", .product(name: "Z", package: "z")], path: "a/b"),
            .testTarget(name: "XTests", dependencies: ["X"]),
            """).map { "\($0.name) \($0.path) \($0.dependencies.sorted()) \($0.isTest)" },
                       ["X a/b [\"Y\"] false", "XTests Tests/XTests [\"X\"] true"])
    }
}

/// Reads the allowed-edges table, Package.swift's targets and the sources' imports.
enum ModuleEdges {
    struct Target {
        var name: String
        var path: String
        /// Targets of this package it depends on (products of other packages left out).
        var dependencies: Set<String>
        var isTest: Bool
    }

    /// The rows between `module-edges:begin` and `module-edges:end`: `Module: A, B`.
    static func allowed(markdown: String) throws -> [String: Set<String>] {
        guard let begin = markdown.range(of: "<!-- module-edges:begin -->"),
              let end = markdown.range(of: "<!-- module-edges:end -->", range: begin.upperBound..<markdown.endIndex) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "docs/architecture.md has no module-edges block"])
        }
        var rows: [String: Set<String>] = [:]
        for line in markdown[begin.upperBound..<end.lowerBound].split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].contains("`") else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            rows[name] = Set(parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        return rows
    }

    /// Every `.target`, `.executableTarget`, `.testTarget` and `.systemLibrary` of a manifest.
    static func targets(manifest: String) -> [Target] {
        let pattern = try! NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)""#)
        let text = manifest as NSString
        let matches = pattern.matches(in: manifest, range: NSRange(location: 0, length: text.length))
        return matches.enumerated().map { index, match in
            let end = index + 1 < matches.count ? matches[index + 1].range.location : text.length
            let chunk = text.substring(with: NSRange(location: match.range.location, length: end - match.range.location))
            let kind = text.substring(with: match.range(at: 1)), name = text.substring(with: match.range(at: 2))
            var dependencies = Set<String>()
            if let open = chunk.range(of: "dependencies: [") {
                var depth = 1, close = open.upperBound
                while close < chunk.endIndex, depth > 0 {
                    if chunk[close] == "[" { depth += 1 } else if chunk[close] == "]" { depth -= 1 }
                    close = chunk.index(after: close)
                }
                let list = chunk[open.upperBound..<close].replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
                dependencies = Set(list.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) })
            }
            let isTest = kind == "testTarget"
            var path = (isTest ? "Tests/" : "Sources/") + name
            if let p = chunk.range(of: #"path:\s*"([^"]+)""#, options: .regularExpression) {
                path = String(chunk[p].split(separator: "\"")[1])
            }
            return Target(name: name, path: path, dependencies: dependencies, isTest: isTest)
        }
    }

    /// The modules the Swift files under `folder` import (none for a C module).
    static func imports(under folder: URL) throws -> Set<String> {
        // Attributes (@_exported, @preconcurrency, @testable, ...) and access levels may come first.
        let pattern = try NSRegularExpression(pattern: #"^\s*(?:@\w+\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:struct|class|enum|func|var|let|protocol|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#,
                                              options: .anchorsMatchLines)
        var found = Set<String>()
        guard let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return found }
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                found.insert((text as NSString).substring(with: match.range(at: 1)))
            }
        }
        return found
    }

    /// What breaks the table, in words: an import or a declared dependency it does not allow, an
    /// import of ours that Package.swift does not declare, a module without a row.
    static func violations(allowed: [String: Set<String>], targets: [Target], imports: [String: Set<String>]) -> [String] {
        let ours = Set(targets.filter { !$0.isTest }.map(\.name))
        var found: [String] = []
        for target in targets where !target.isTest {
            guard let row = allowed[target.name] else {
                found.append("\(target.name) has no row in docs/architecture.md's allowed edges; add one")
                continue
            }
            for module in (imports[target.name] ?? []).intersection(ours).subtracting([target.name]).sorted() {
                if !row.contains(module) { found.append("\(target.name) imports \(module), which its row does not allow") }
                if !target.dependencies.contains(module) {
                    found.append("\(target.name) imports \(module), which is not declared in its Package.swift dependencies")
                }
            }
            for module in target.dependencies.intersection(ours).subtracting(row).sorted() {
                found.append("\(target.name) declares \(module) in Package.swift, which its row does not allow")
            }
        }
        return found
    }
}
