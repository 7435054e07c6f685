import Acquisition
import ArgumentParser
import FitCore
import FitOpenCL
import Foundation
import Pipeline
import TAMData
import Transport

/// Every command's exit codes, in one table (README "Exit codes"): scripts can tell bad input
/// from a failed device, a usage mistake or a full disk.
enum ExitStatus: Int32 {
    /// Done.
    case done = 0
    /// A bug in femtofit (an error nobody mapped): please report it.
    case bug = 1
    /// Bad input: a file's content (data, plan, instrument file, dataset).
    case badInput = 2
    /// A device failed, or a scan stopped (resumable).
    case deviceFailed = 3
    /// Bad usage: options (ArgumentParser's ValidationError exits with it too).
    case usage = 64
    /// The outputs could not be written (full disk, no permission).
    case cannotWrite = 74

    /// The code for `error`.
    static func of(_ error: Error) -> ExitStatus {
        switch error {
        case is OutputError: return .cannotWrite
        case TransportError.cannotWrite: return .cannotWrite
        case is TAMDataError, is TransportError, is PhysicsError, is AcquisitionError, is ModelFileError: return .badInput
        case is DeviceFailure, is OpenCLError: return .deviceFailed
        case is ValidationError: return .usage
        case let error as FitError:
            switch error {
            case .invalidBatch, .invalidSettings: return .badInput
            case .backendUnavailable: return .deviceFailed
            }
        default: return .bug
        }
    }
}

/// Runs a command's work: any error is said in words on standard error (with `context` before
/// it) and becomes the table's exit code. An `ExitCode` a command throws passes through.
func reportingErrors(_ context: String? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let usage as ValidationError {
        throw usage
    } catch {
        let status = ExitStatus.of(error)
        let words: String
        switch error {
        case let error as FitError: words = "\(context.map { $0 + ": " } ?? "")\(error)"
        case let error as TransportError: words = "\(context ?? "analysis"): \(error)"
        default: words = "\(error)"
        }
        warn(words)
        if status == .bug { warn("this is a bug in femtofit; please report it with the command you ran") }
        throw ExitCode(status.rawValue)
    }
}
