import Acquisition
import ArgumentParser
import Dispatch
import FitEngine
import Foundation
import TAMData

/// `femtofit acquire PLAN --output DIR [--instrument FILE] [--resume]`: runs a scan plan on the
/// simulated microscope (or the instrument an instrument file describes), writing a dataset that
/// `femtofit fit` and `femtofit analyze` read, with a live view of progress and the running D.
struct AcquireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acquire",
        abstract: "Run a scan plan (TOML) on the simulated microscope or a configured instrument.",
        discussion: """
        The plan lists delays, fluences, wavelengths, spots, runs and frame pairs (docs/acquisition.md). \
        Points are written to DIR as they are taken; after a crash or a stop, the same command with \
        --resume continues at the first missing point. Ctrl-C stops cleanly after the current point. \
        Exit status: 0 finished, 2 bad plan or instrument file, 3 a device failed or the scan stopped \
        (by a fault or Ctrl-C; resumable).
        """)

    @Argument(help: "The scan plan (TOML).")
    var plan: String
    @Option(name: .shortAndLong, help: "Folder for the dataset (created if missing).")
    var output: String
    @Option(help: "Instrument file (TOML); without it, the simulated TAM microscope.")
    var instrument: String?
    @Flag(help: "Continue an acquisition in OUTPUT at its first missing point.")
    var resume = false
    @Flag(name: .customLong("real-time"), help: "Run the simulated microscope in real time instead of on its virtual clock.")
    var realTime = false
    @Flag(name: .customLong("no-live-fit"), help: "Do not fit frames while the scan runs.")
    var noLiveFit = false

    func run() throws {
        let outcome: Sequencer.Outcome
        do {
            outcome = try acquire()
        } catch let error as DeviceFailure {
            warn(error.description)
            if FileManager.default.fileExists(atPath: output + "/" + AcquisitionStore.headerName) {
                warn("the finished points are kept in \(output); continue with --resume once the instrument is ready")
            }
            throw ExitCode(ExitStatus.deviceFailed.rawValue)
        } catch {
            try reportingErrors { throw error }
            return
        }
        switch outcome {
        case .finished(let dataset):
            print("dataset: \(dataset.folder)/dataset.json (\(dataset.manifest.frames.count) frames); next: femtofit analyze \(dataset.folder) --output \(dataset.folder)/analysis")
        case .stopped(let reason):
            warn("acquisition stopped: \(reason)")
            warn("the finished points are kept in \(output); continue with: femtofit acquire \(plan) --output \(output)\(instrument.map { " --instrument \($0)" } ?? "") --resume")
            throw ExitCode(ExitStatus.deviceFailed.rawValue)
        }
    }

    func acquire() throws -> Sequencer.Outcome {
        let scan = try ScanPlan.load(plan)
        let rig: Instrument
        if let instrument {
            guard !realTime else { throw AcquisitionError("--real-time", "applies to the built-in simulator; set [clock] mode = \"real\" in \(instrument)") }
            rig = try InstrumentFile.load(instrument)
        } else {
            rig = Instrument.simulated(clock: realTime ? WallClock() : VirtualClock())
        }
        let sequencer = Sequencer(plan: scan, instrument: rig, folder: output, resume: resume, planFile: plan)
        if !noLiveFit { sequencer.liveFitter = LiveFitter(pixelSizeNm: rig.framePixelSizeNm, engine: FitEngine()) }
        let view = LiveView(plan: scan)
        sequencer.onProgress = { view.show($0) }
        sequencer.onLog = { message in
            if message.hasPrefix("fault") || message.hasPrefix("warning") || message.hasPrefix("stopped") { view.note(message) }
        }
        // Ctrl-C: stop after the current point (a second one ends the process at once).
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        var interrupted = false
        interrupt.setEventHandler {
            if interrupted { Foundation.exit(130) }
            interrupted = true
            sequencer.requestStop("interrupted (Ctrl-C)")
            warn("stopping after the current point (Ctrl-C again to quit at once)")
        }
        interrupt.resume()
        defer { interrupt.cancel(); signal(SIGINT, SIG_DFL) }
        print("acquiring \(scan.name): \(scan.points.count) points (\(scan.delays.count) delays x \(scan.pulseEnergiesNJ.count) fluences x "
              + "\(scan.wavelengthsNm.count) wavelengths x \(scan.spots.count) spots x \(scan.runs) runs), \(scan.pairs) pairs each, on \(rig.source)")
        return try sequencer.run()
    }
}

/// The live view of a scan on standard error: on a terminal, one redrawn line (progress bar, time
/// left, the running D of the latest series); piped, a plain line every tenth of the scan.
final class LiveView {
    let plan: ScanPlan
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastTenth = -1
    private var lastDraw = 0.0

    init(plan: ScanPlan) { self.plan = plan }

    func show(_ p: Sequencer.Progress) {
        let fraction = p.total > 0 ? Double(p.done) / Double(p.total) : 1
        let left = p.remaining.map { "~\(Self.duration($0)) left" } ?? "estimating time left"
        var live = ""
        if let latest = p.estimates.last(where: { $0.diffusivityCm2s != nil }) ?? p.estimates.last {
            let msd = latest.msdNm2.last.map { String(format: "MSD %.0f nm^2 at %.0f fs", $0, latest.delays.last!) } ?? ""
            let d = latest.diffusivityCm2s.map { String(format: ", D ~ %.2f cm^2/s", $0) } ?? ""
            live = " | series \(latest.series): \(msd)\(d)"
        }
        if p.liveSkipped > 0 { live += " (\(p.liveSkipped) live updates skipped)" }
        if isTerminal {
            let now = Date().timeIntervalSinceReferenceDate
            guard p.done == p.total || now - lastDraw > 0.1 else { return }
            lastDraw = now
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = "\r\u{1B}[K[\(bar)] \(p.done)/\(p.total) \(left)\(live)"
            FileHandle.standardError.write(Data(line.utf8))
            if p.done == p.total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let tenth = Int(fraction * 10)
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("acquire: \(p.done)/\(p.total) points, \(left)\(live)\n".utf8))
        }
    }

    /// A fault, warning or stop, on its own line.
    func note(_ message: String) {
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + "acquire: \(message)\n").utf8))
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 90 ? String(format: "%.0f s", seconds) : seconds < 5400 ? String(format: "%.0f min", seconds / 60) : String(format: "%.1f h", seconds / 3600)
    }
}
