import Foundation

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

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    /// Runs femtofit with `arguments` to the end; its exit status and both outputs.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes at once so a full stderr cannot stall the process while stdout is read.
        final class Box: @unchecked Sendable { var data = Data() }
        let stderr = Box()
        let reader = Thread { stderr.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.001) }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr.data, as: UTF8.self))
    }
}
