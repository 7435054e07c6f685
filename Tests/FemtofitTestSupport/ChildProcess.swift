import Foundation

/// A program run to the end, for tests that drive binaries (the CLI, the C ABI test program).
public enum ChildProcess {
    public struct Run: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` with `arguments` (and `environment` added to this process's) to the end.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = executable
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

    /// The folder the test binary was built into (`.build/<triple>/release`), where SwiftPM also
    /// puts the package's executables and libraries.
    public static var buildFolder: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }
}
