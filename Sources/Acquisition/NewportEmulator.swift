#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An emulated Newport CONEX/SMC100-class controller (docs/reference.md §6): the state machine (NOT
/// REFERENCED → HOMING → READY ⇄ MOVING, DISABLE), moves that take time at the set velocity,
/// soft limits, TE error letters for refused commands, and faults that can be switched on. It
/// speaks the byte protocol on the controller side of a pseudo-terminal, so a driver runs against
/// it exactly as against a real port. `respond(to:)` is the same state machine without a port.
public final class NewportEmulator: @unchecked Sendable {
    /// Faults a test (or a demo) can switch on.
    public enum Fault: Sendable, Equatable {
        /// The next `count` replies (to `command` only, when given) are never sent: a noisy
        /// line, a busy controller.
        case dropReplies(count: Int, to: String? = nil)
        /// The next frame carrying `command` is lost before the controller reads it.
        case loseCommand(String)
        /// The next reply is garbled.
        case garbleReply
        /// The next home fails: NOT REFERENCED with the peak-current, RMS-current and homing
        /// time-out bits set.
        case homingTimeout
        /// The next move stops with a following error and disables the controller.
        case followingError
    }

    public let address: Int
    public let clock: InstrumentClock
    public let identity = "CONEX-CC emulator femtofit"
    private let lock = NSLock()
    private var state = NewportState.notReferencedFromReset
    private var errors = NewportErrorBits()
    private var lastError = NewportCommandError.none
    private var position = 0.0
    private var setPoint = 0.0
    private var moveStart = 0.0, moveFrom = 0.0, moveEnd = 0.0
    private var homeEnd = 0.0
    private var resetEnd = -1.0
    private var softLimits = (low: 0.0, high: 25.0)
    private var velocity: Double
    private var acceleration = 10.0
    private var homingFails = false, followingFails = false
    private var droppedReplies = 0, dropOnly: String?, garbleNext = false
    private var lostCommands: [String] = []
    /// Seconds a home and a reset take.
    public var homingTime: Double
    public var resetTime: Double
    private var log: [String] = []
    /// Every frame received, in order (for tests that check what the driver sent).
    public var received: [String] { lock.withLock { log } }
    private var thread: Thread?
    private var port: PseudoTerminal?
    private var running = false

    public init(address: Int = 1, clock: InstrumentClock = WallClock(), travel: ClosedRange<Double> = 0...25,
                velocity: Double = 50, homingTime: Double = 0.05, resetTime: Double = 0.05) {
        self.address = address
        self.clock = clock
        self.velocity = velocity
        self.homingTime = homingTime
        self.resetTime = resetTime
        softLimits = (travel.lowerBound, travel.upperBound)
    }

    /// Switches on `fault`.
    public func inject(_ fault: Fault) {
        lock.withLock {
            switch fault {
            case .dropReplies(let n, let command): droppedReplies += n; dropOnly = command
            case .loseCommand(let command): lostCommands.append(command)
            case .garbleReply: garbleNext = true
            case .homingTimeout: homingFails = true
            case .followingError: followingFails = true
            }
        }
    }

    /// Serves the controller side of a new pseudo-terminal on a thread; returns the device path a
    /// driver opens as its serial port. The thread holds the emulator until `shutdown`.
    public func serve() throws -> String {
        let pty = try PseudoTerminal()
        port = pty
        running = true
        let thread = Thread { self.loop(fd: pty.controllerFD) }
        thread.name = "newport-emulator"
        self.thread = thread
        thread.start()
        return pty.devicePath
    }

    /// Stops serving (the port stays open until the emulator goes away). The finished thread is
    /// let go: it keeps its closure, which holds the emulator, so keeping it would be a cycle.
    public func shutdown() {
        lock.withLock { running = false }
        while let thread, !thread.isFinished { Thread.sleep(forTimeInterval: 0.002) }
        thread = nil
    }

    private func loop(fd: Int32) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while lock.withLock({ running }) {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 20) > 0, entry.revents & Int16(POLLIN) != 0 else {
                if entry.revents & Int16(POLLHUP) != 0 { Thread.sleep(forTimeInterval: 0.005) }
                continue
            }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { Thread.sleep(forTimeInterval: 0.005); continue }
            pending += buffer[0..<n]
            while let end = pending.firstRange(of: [13, 10]) {
                let line = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                pending.removeSubrange(..<end.upperBound)
                if let reply = respond(to: line) {
                    let bytes = Array((reply + "\r\n").utf8)
                    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
                }
            }
        }
    }

    /// Handles one frame (no terminator) as the controller would and returns its reply, if any.
    public func respond(to frame: String) -> String? {
        lock.withLock {
            log.append(frame)
            let parsed = Newport.parse(frame)
            if let parsed, let lost = lostCommands.firstIndex(of: parsed.command) { lostCommands.remove(at: lost); return nil }
            advance()
            if clock.now < resetEnd { return nil }
            guard let (addr, command, value) = parsed else { lastError = NewportCommandError(letter: "A"); return nil }
            guard addr == address else { lastError = NewportCommandError(letter: "B"); return nil }
            guard var reply = handle(command, value) else { return nil }
            if droppedReplies > 0, dropOnly == nil || dropOnly == command { droppedReplies -= 1; return nil }
            reply = Newport.frame(address, command, reply)
            if garbleNext { garbleNext = false; return String(reply.reversed()) }
            return reply
        }
    }

    /// Moves time forward: ends moves, homes and resets that are due.
    private func advance() {
        let now = clock.now
        if resetEnd >= 0, now >= resetEnd {
            resetEnd = -1
            state = .notReferencedFromReset
            errors = []
        }
        switch state.kind {
        case .homing where now >= homeEnd:
            if homingFails {
                homingFails = false
                errors = [.peakCurrentLimit, .rmsCurrentLimit, .homingTimeout]
                state = .notReferencedFromHoming
            } else {
                position = 0; setPoint = 0
                state = .readyFromHoming
            }
        case .moving:
            let duration = moveEnd - moveStart
            if now >= moveEnd {
                position = setPoint
                state = .readyFromMoving
            } else {
                position = moveFrom + (setPoint - moveFrom) * (duration > 0 ? (now - moveStart) / duration : 1)
                if followingFails, now - moveStart >= duration / 2 {
                    followingFails = false
                    errors = [.followingError]
                    setPoint = position
                    state = NewportState(code: 0x3D)
                }
            }
        default: break
        }
    }

    private func refuse(_ letter: Character) -> String? { lastError = NewportCommandError(letter: letter); return nil }

    /// The letter for a command not allowed in the current state.
    private var stateRefusal: Character {
        switch state.kind {
        case .notReferenced: return "H"
        case .configuration: return "I"
        case .disable: return "J"
        case .ready: return "K"
        case .homing: return "L"
        case .moving: return "M"
        default: return "D"
        }
    }

    private func handle(_ command: String, _ value: String) -> String? {
        let isQuery = value == "?"
        let number = Double(value)
        switch command {
        case "TS": return NewportStatus(errors: errors, state: state).hex
        case "TE":
            defer { lastError = .none }
            return String(lastError.letter)
        case "TB":
            let code = NewportCommandError(letter: value.first ?? lastError.letter)
            return "\(code.letter) \(code.meaning.prefix(1).uppercased() + code.meaning.dropFirst())"
        case "TP": return Newport.number(position)
        case "TH": return Newport.number(setPoint)
        case "ID", "VE": return identity
        case "RS":
            resetEnd = clock.now + resetTime
            state = .notReferencedFromReset
            return nil
        case "OR":
            guard state.kind == .notReferenced else { return refuse(state.kind == .homing ? "E" : stateRefusal) }
            errors = []
            state = .homing
            homeEnd = clock.now + homingTime
            return nil
        case "PA", "PR":
            if isQuery, command == "PA" { return Newport.number(setPoint) }
            guard let number else { return refuse("C") }
            guard state.kind == .ready else { return refuse(stateRefusal) }
            let target = command == "PA" ? number : setPoint + number
            guard target >= softLimits.low - 1e-9, target <= softLimits.high + 1e-9 else { return refuse(command == "PA" ? "C" : "G") }
            startMove(to: target)
            return nil
        case "PT":
            guard let number else { return refuse("C") }
            return Newport.number(abs(number) / velocity)
        case "VA", "AC":
            if isQuery { return Newport.number(command == "VA" ? velocity : acceleration) }
            guard let number, number > 0, number <= 1000 else { return refuse("C") }
            guard state.kind != .moving else { return refuse("M") }
            if command == "VA" { velocity = number } else { acceleration = number }
            return nil
        case "SL", "SR":
            if isQuery { return Newport.number(command == "SL" ? softLimits.low : softLimits.high) }
            guard let number else { return refuse("C") }
            guard command == "SL" ? number <= softLimits.high : number >= softLimits.low else { return refuse("C") }
            if command == "SL" { softLimits.low = number } else { softLimits.high = number }
            return nil
        case "ST":
            if state.kind == .moving { setPoint = position; state = .readyFromMoving }
            else if state.kind == .homing { state = .notReferencedFromHoming }
            return nil
        case "MM":
            if isQuery { return state.kind == .disable ? "0" : "1" }
            switch (value, state.kind) {
            case ("0", .ready): state = .disableFromReady
            case ("1", .disable): errors = []; setPoint = position; state = .readyFromDisable
            case ("0", _), ("1", _): return refuse(stateRefusal)
            default: return refuse("C")
            }
            return nil
        default:
            return refuse("A")
        }
    }

    private func startMove(to target: Double) {
        let now = clock.now
        moveFrom = position
        setPoint = target
        moveStart = now
        moveEnd = now + abs(target - position) / velocity
        state = .moving
    }
}
