import Foundation

/// The driver for a Newport CONEX-AG / CONEX-CC / SMC100-class delay stage over a serial link
/// (docs/reference.md §6). Every query is checked for its echo and retried on a timeout or a garbled
/// reply (queries change nothing); every command is followed by `TE` so a refused command is an
/// error with its meaning. An absolute move is confirmed by the set-point and resent if it was
/// lost; a relative move is never resent blindly: the set-point is re-read first.
public final class NewportDelayStage: DelayStage {
    public let name = "delay stage"
    public private(set) var lifecycle = Lifecycle(device: "delay stage")
    public private(set) var settings: [Setting]
    public let link: SerialLink
    public let address: Int
    /// The soft limits read from the controller at connect (SL/SR), mm.
    public private(set) var travel: ClosedRange<Double> = 0...0
    /// What `ID?` answered at connect.
    public private(set) var identity = ""
    /// Seconds to wait for each reply, and how many times a query is sent before giving up.
    public var timeout: Double
    public var tries: Int
    /// Longest a home or a move may take before the driver gives up, s.
    public var motionTimeout = 120.0
    /// The emulated controller this driver talks to, when it is one (kept alive until close).
    public var emulator: NewportEmulator?
    /// Set-points closer than this are the same, mm.
    static let tolerance = 1e-4

    public init(link: SerialLink, address: Int = 1, zeroMillimetres: Double = 0, passes: Int = 2, direction: Int = 1,
                timeout: Double = 0.5, tries: Int = 3) {
        self.link = link
        self.address = address
        self.timeout = timeout
        self.tries = max(1, tries)
        settings = [
            Setting("stage.passes", kind: .whole(minimum: 1, maximum: 8), value: .number(Double(passes))),
            Setting("stage.zero_mm", unit: "mm", kind: .number(minimum: -1000, maximum: 1000), value: .number(zeroMillimetres)),
            Setting("stage.direction", kind: .whole(minimum: -1, maximum: 1), value: .number(Double(direction))),
            Setting("stage.velocity_mm_s", unit: "mm/s", kind: .number(minimum: 0.000001, maximum: 1000), value: .number(0)),
            Setting("stage.controller", kind: .text, value: .text("")),
            Setting("stage.port", kind: .text, value: .text(link.path)),
        ]
    }

    public var conversion: DelayConversion {
        DelayConversion(passes: Int(settings.number("stage.passes") ?? 2), zeroMillimetres: settings.number("stage.zero_mm") ?? 0,
                        direction: (settings.number("stage.direction") ?? 1) < 0 ? -1 : 1)
    }

    // MARK: lifecycle

    /// Reads identity, soft limits and velocity; homes the stage if it is not referenced.
    public func connect() throws {
        try lifecycle.require([.closed], for: "connect")
        try link.discardInput()
        identity = try query("ID", "?")
        travel = try softLimits()
        let velocity = try number(query("VA", "?"), "VA")
        try settings.apply(["stage.controller": .text(identity), "stage.velocity_mm_s": .number(velocity)], device: name)
        try makeReady()
        try lifecycle.take(.connect)
    }

    /// Applies settings; a new `stage.velocity_mm_s` is sent to the controller (VA).
    public func configure(_ values: [String: SettingValue]) throws {
        var updated = settings
        try updated.apply(values, device: name)
        try lifecycle.take(.configure)
        if case .number(let v)? = values["stage.velocity_mm_s"] { try command("VA", Newport.number(v)) }
        settings = updated
    }
    public func arm() throws { try lifecycle.take(.arm) }
    public func start() throws { try lifecycle.take(.start) }
    /// Stops any motion (ST) and leaves the stage where it is.
    public func stop() throws {
        try lifecycle.take(.stop)
        try halt()
    }
    public func close() throws {
        try lifecycle.take(.close)
        emulator?.shutdown()
    }

    // MARK: the DelayStage protocol

    public func move(toMillimetres target: Double) throws {
        try lifecycle.require([.configured, .armed, .running], for: "move")
        try moveAbsolute(to: target)
    }

    public func position() throws -> Double { try number(query("TP"), "TP") }

    /// True when the controller is READY; throws with the decoded status when it fell out of
    /// READY/MOVING (a following error disables it, a failed home leaves it NOT REFERENCED).
    public func isReady() throws -> Bool {
        let status = try status()
        switch status.state.kind {
        case .ready: return true
        case .moving, .homing: return false
        default:
            throw AcquisitionError(name, "is \(status) (TS \(status.hex)); \(advice(for: status))")
        }
    }

    // MARK: the controller's commands

    /// RS: reboots the controller, then waits for NOT REFERENCED. Homing is needed afterwards.
    public func reset() throws {
        try link.send(Newport.frame(address, "RS"))
        try wait(for: "NOT REFERENCED after RS", until: { $0.state.kind == .notReferenced })
    }

    /// OR: homes the stage and waits for READY; a failed home is an error with the status bits.
    public func home() throws {
        let before = try status()
        if before.state.kind != .notReferenced { try reset() }
        try command("OR")
        try wait(for: "READY after OR (home)", until: { $0.state.kind == .ready }, failOn: { $0.state.kind == .notReferenced || $0.state.kind == .disable })
    }

    /// PA: starts an absolute move; the set-point is read back and the move resent if it was lost
    /// (an absolute move is safe to repeat).
    public func moveAbsolute(to target: Double) throws {
        guard travel.contains(target) else {
            throw AcquisitionError(name, "\(target) mm is outside the soft limits \(travel.lowerBound)...\(travel.upperBound) mm")
        }
        try requireReady(for: "move to \(target) mm")
        for _ in 1...tries {
            // A refusal ends it; a lost confirmation is settled by the set-point.
            do { try command("PA", Newport.number(target)) } catch let refusal as NewportRefusal { throw refusal } catch {}
            if abs(try setPoint() - target) < Self.tolerance { return }
        }
        throw AcquisitionError(name, "did not take the move to \(target) mm after \(tries) tries (set-point \(try setPoint()) mm); check the link")
    }

    /// PR: starts a relative move. If the command's confirmation is lost, the set-point is re-read:
    /// a move that was taken is not sent again; one that was lost is sent as the absolute target.
    public func moveRelative(by displacement: Double) throws {
        try requireReady(for: "move by \(displacement) mm")
        let start = try setPoint()
        let target = start + displacement
        guard travel.contains(target) else {
            throw AcquisitionError(name, "a move by \(displacement) mm from \(start) mm leaves the soft limits \(travel.lowerBound)...\(travel.upperBound) mm")
        }
        var confirmation: Error?
        do { try command("PR", Newport.number(displacement)) } catch { confirmation = error }
        let now = try setPoint()
        if abs(now - target) < Self.tolerance { return }
        if abs(now - start) < Self.tolerance, !(confirmation is NewportRefusal) {
            try moveAbsolute(to: target)
            return
        }
        if let confirmation { throw confirmation }
        throw AcquisitionError(name, "set-point is \(now) mm after a move by \(displacement) mm from \(start) mm; stopped so nothing moves twice")
    }

    /// ST: stops motion.
    public func halt() throws { try command("ST") }

    /// MM1: enables a controller that a fault (a following error) left in DISABLE.
    public func enable() throws { try command("MM", "1") }

    /// Brings the controller to READY whatever fault left it: DISABLE is enabled (MM1), NOT
    /// REFERENCED is homed, a move in progress is waited for. Used at connect and after a fault.
    public func makeReady() throws {
        let status = try status()
        switch status.state.kind {
        case .ready: return
        case .disable: try enable()
        case .notReferenced: try home()
        case .moving, .homing: break
        default: throw AcquisitionError(name, "is \(status) (TS \(status.hex)); \(advice(for: status))")
        }
        try wait(for: "READY", until: { $0.state.kind == .ready }, failOn: { $0.state.kind == .notReferenced || $0.state.kind == .disable })
    }

    /// TH: the set-point (where the current or last move goes), mm.
    public func setPoint() throws -> Double { try number(query("TH"), "TH") }

    /// TS: positioner error bits and controller state.
    public func status() throws -> NewportStatus {
        let hex = try query("TS")
        guard let status = NewportStatus(hex: hex) else { throw AcquisitionError(name, "cannot read status reply 'TS\(hex)'; expected six hex digits") }
        return status
    }

    /// TE: the last command error. Reading it clears it on the controller, so it is asked once,
    /// never resent: a second TE after a lost reply would read "no error" and hide a refusal.
    public func lastError() throws -> NewportCommandError {
        let reply = try query("TE", tries: 1)
        guard reply.count == 1, let letter = reply.first else { throw AcquisitionError(name, "cannot read error reply 'TE\(reply)'") }
        return NewportCommandError(letter: letter)
    }

    /// TB: the controller's own text for an error letter.
    public func errorText(_ error: NewportCommandError) throws -> String {
        let reply = try query("TB", String(error.letter))
        return reply.dropFirst().trimmingCharacters(in: .whitespaces)
    }

    /// VA: the velocity, mm/s.
    public func velocity() throws -> Double { try number(query("VA", "?"), "VA") }

    /// SL/SR: sets the soft limits (the controller refuses moves outside them).
    public func setSoftLimits(_ limits: ClosedRange<Double>) throws {
        try command("SL", Newport.number(limits.lowerBound))
        try command("SR", Newport.number(limits.upperBound))
        travel = try softLimits()
    }

    public func softLimits() throws -> ClosedRange<Double> {
        let low = try number(query("SL", "?"), "SL"), high = try number(query("SR", "?"), "SR")
        guard low <= high else { throw AcquisitionError(name, "soft limits read back inverted (SL \(low), SR \(high))") }
        return low...high
    }

    // MARK: the exchange

    /// Sends a set command, then reads TE: a refusal throws with its meaning; a TE reply that never
    /// comes throws too (the command is unconfirmed: callers that can check the outcome, such as
    /// moves by their set-point, do so).
    func command(_ command: String, _ value: String = "") throws {
        try link.send(Newport.frame(address, command, value))
        try link.discardInput()  // a late reply to an earlier query must not pass for this TE
        let error: NewportCommandError
        do { error = try lastError() } catch {
            throw AcquisitionError(name, "'\(Newport.frame(address, command, value))' is unconfirmed: \(error)")
        }
        if error.isError { throw NewportRefusal(device: name, frame: Newport.frame(address, command, value), error: error) }
    }

    /// Sends a query and returns the value its reply carries after the echoed address and command.
    /// A missing, garbled or foreign reply is retried `tries` times.
    func query(_ command: String, _ argument: String = "", tries: Int? = nil) throws -> String {
        let frame = Newport.frame(address, command, argument)
        let tries = max(1, tries ?? self.tries)
        var heard: [String] = []
        for attempt in 1...tries {
            if attempt > 1 { try link.discardInput() }
            try link.send(frame)
            let deadline = Date().addingTimeInterval(timeout)
            while let line = try link.receiveLine(timeout: max(0, deadline.timeIntervalSinceNow)) {
                if let reply = Newport.parse(line), reply.address == address, reply.command == command { return reply.value }
                heard.append(line)
            }
        }
        let garbled = heard.isEmpty ? "" : "; it heard only \(heard.prefix(3).map { "'\($0)'" }.joined(separator: ", "))"
        throw AcquisitionError(name, "no reply to '\(frame)' on \(link.path) after \(tries) tries (\(timeout) s each)\(garbled); check the cable, the power and the controller address (\(address))")
    }

    private func number(_ text: String, _ command: String) throws -> Double {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw AcquisitionError(name, "cannot read '\(command)\(text)' as a number")
        }
        return value
    }

    private func requireReady(for operation: String) throws {
        let status = try status()
        guard status.state.kind == .ready else {
            throw AcquisitionError(name, "cannot \(operation) while \(status); moves need READY. \(advice(for: status))")
        }
    }

    /// Polls TS until `done`, failing on `failOn` or after `motionTimeout`.
    private func wait(for goal: String, until done: (NewportStatus) -> Bool, failOn: (NewportStatus) -> Bool = { _ in false }) throws {
        let deadline = Date().addingTimeInterval(motionTimeout)
        var last: NewportStatus?
        while Date() < deadline {
            if let status = try? status() {
                last = status
                if done(status) { return }
                if failOn(status), status.state.kind != .homing { throw AcquisitionError(name, "is \(status) (TS \(status.hex)) waiting for \(goal); \(advice(for: status))") }
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw AcquisitionError(name, "timed out after \(motionTimeout) s waiting for \(goal); last status \(last.map { "\($0)" } ?? "unread")")
    }

    private func advice(for status: NewportStatus) -> String {
        switch status.state.kind {
        case .notReferenced: return status.errors.isEmpty ? "home it (OR) first" : "clear the cause (\(status.errors)), then reset and home it"
        case .disable: return "it was disabled (\(status.errors)); check the stage for an obstruction, then enable it (MM1)"
        case .configuration: return "leave configuration mode first (PW0)"
        default: return "wait for READY"
        }
    }
}

/// A command the controller refused: the frame and the TE letter with its meaning.
public struct NewportRefusal: Error, CustomStringConvertible {
    public var device: String
    public var frame: String
    public var error: NewportCommandError
    public var description: String { "\(device): the controller refused '\(frame)': \(error)" }
}
