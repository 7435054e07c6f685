import Foundation
import FemtofitTestSupport

/// The built `femtofit` binary, run as a script runs it, for the CLI tests.
enum FemtofitProcess {
    static var binary: URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for folder in candidates where FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("femtofit").path) {
            return folder.appendingPathComponent("femtofit")
        }
        return URL(fileURLWithPath: ".build/release/femtofit")
    }

    typealias Run = ChildProcess.Run

    /// Runs femtofit with `arguments` to the end; its exit status and both outputs.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try ChildProcess.run(binary, arguments, environment: environment)
    }
}
