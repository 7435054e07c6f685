import Acquisition
import XCTest

/// A serial link that plays a fixed transcript: it checks each frame the driver sends against the
/// next expected one, byte for byte, and answers with the transcript's reply (or stays silent).
final class TranscriptLink: SerialLink {
    let path = "transcript"
    private var script: [(sent: String, reply: String?)]
    private var replies: [String] = []
    private(set) var mismatches: [String] = []
    var finished: Bool { script.isEmpty }

    init(_ script: [(String, String?)]) { self.script = script.map { (sent: $0.0, reply: $0.1) } }

    func send(_ line: String) throws {
        guard !script.isEmpty else { mismatches.append("unexpected '\(line)' after the transcript ended"); return }
        let step = script.removeFirst()
        if step.sent != line { mismatches.append("sent '\(line)', transcript has '\(step.sent)'") }
        if let reply = step.reply { replies.append(reply) }
    }

    func receiveLine(timeout: Double) throws -> String? { replies.isEmpty ? nil : replies.removeFirst() }
    func discardInput() throws { replies.removeAll() }
}

/// The driver and the emulator checked against transcripts written from the documented command
/// set (docs/reference.md §6), not against each other.
final class NewportTranscriptTests: XCTestCase {
    /// What connect exchanges with a referenced controller with 0...25 mm soft limits.
    static let connectTranscript: [(String, String?)] = [
        ("1ID?", "1IDCONEX-CC 25 mm"), ("1SL?", "1SL0"), ("1SR?", "1SR25"), ("1VA?", "1VA0.4"), ("1TS", "1TS000032"),
    ]

    /// A stage connected through `connectTranscript`, then playing `rest`.
    func connected(_ rest: [(String, String?)], timeout: Double = 0.5) throws -> (NewportDelayStage, TranscriptLink) {
        let link = TranscriptLink(Self.connectTranscript + rest)
        let stage = NewportDelayStage(link: link, timeout: timeout)
        try stage.connect()
        return (stage, link)
    }

    func testStatusAndErrorRepliesDecodeAsDocumented() throws {
        let readyFromMoving = try XCTUnwrap(NewportStatus(hex: "000033"))
        XCTAssertEqual(readyFromMoving.state.kind, .ready)
        XCTAssertEqual(readyFromMoving.state.origin, "from MOVING")
        XCTAssertTrue(readyFromMoving.errors.isEmpty)

        XCTAssertEqual(NewportStatus(hex: "00001E")?.state.kind, .homing)

        let failedHome = try XCTUnwrap(NewportStatus(hex: "004C0A"))
        XCTAssertEqual(failedHome.state.kind, .notReferenced)
        XCTAssertEqual(failedHome.state.origin, "from RESET")
        XCTAssertEqual(failedHome.errors, [.peakCurrentLimit, .rmsCurrentLimit, .homingTimeout])
        XCTAssertEqual(failedHome.errors.meanings, ["peak current limit", "RMS current limit", "homing time-out"])
        XCTAssertEqual(failedHome.hex, "004C0A", "encodes back to the controller's digits")

        for (code, kind) in [(0x0A, NewportState.Kind.notReferenced), (0x11, .notReferenced), (0x14, .configuration),
                             (0x1F, .homing), (0x28, .moving), (0x32, .ready), (0x38, .ready), (0x3C, .disable),
                             (0x3F, .disable), (0x46, .jogging), (0x47, .tracking), (0x50, .unknown)] {
            XCTAssertEqual(NewportState(code: UInt8(code)).kind, kind, "state 0x\(String(code, radix: 16))")
        }
        XCTAssertEqual(NewportErrorBits(rawValue: 0x0300).meanings, ["DC voltage too low", "80 W output power exceeded"])
        XCTAssertEqual(NewportErrorBits(rawValue: 0x8001).meanings, ["negative end of run", "unknown bits 0x8000"])
        XCTAssertNil(NewportStatus(hex: "00G033"))
        XCTAssertNil(NewportStatus(hex: "0033"))

        XCTAssertEqual(NewportCommandError(letter: "C").meaning, "parameter missing or out of range")
        XCTAssertEqual(NewportCommandError(letter: "@").isError, false)
        XCTAssertEqual(NewportCommandError(letter: "H").meaning, "command not allowed in NOT REFERENCED state")
        XCTAssertEqual(NewportCommandError(letter: "N").meaning, "current position out of software limit")
        XCTAssertTrue(NewportCommandError(letter: "Z").meaning.contains("unknown"))

        XCTAssertEqual(Newport.parse("1TP12.345")?.command, "TP")
        XCTAssertEqual(Newport.parse("1TP12.345")?.value, "12.345")
        XCTAssertEqual(Newport.parse("12TS000033")?.address, 12)
        XCTAssertNil(Newport.parse("TP12"))
        XCTAssertNil(Newport.parse("1tp1"))
        XCTAssertEqual(Newport.number(12.5), "12.5")
        XCTAssertEqual(Newport.number(-0.0000001), "0")
        XCTAssertEqual(Newport.number(3), "3")
    }

    /// Connect on a referenced controller, an absolute move, polling until READY, a relative move.
    func testDriverSendsTheDocumentedFrames() throws {
        let link = TranscriptLink(Self.connectTranscript + [
            // configure: a new velocity
            ("1VA1.5", nil), ("1TE", "1TE@"),
            // move(toDelay: 10 ps) with zero at 2 mm, double pass: 2 + 10000 * 2.99792458e-4 / 2
            ("1TS", "1TS000032"), ("1PA3.498962", nil), ("1TE", "1TE@"), ("1TH", "1TH3.498962"),
            ("1TS", "1TS000028"),
            ("1TS", "1TS000033"),
            ("1TP", "1TP3.498962"),
            // relative move: status, set-point before, PR, TE, set-point after
            ("1TS", "1TS000033"), ("1TH", "1TH3.498962"), ("1PR-1.5", nil), ("1TE", "1TE@"), ("1TH", "1TH1.998962"),
        ])
        let stage = NewportDelayStage(link: link, zeroMillimetres: 2)
        try stage.connect()
        XCTAssertEqual(stage.identity, "CONEX-CC 25 mm")
        XCTAssertEqual(stage.travel, 0...25)
        try stage.configure(["stage.velocity_mm_s": .number(1.5)])
        XCTAssertEqual(stage.settings.number("stage.velocity_mm_s"), 1.5)
        try stage.move(toDelay: 10_000)
        XCTAssertFalse(try stage.isReady())
        XCTAssertTrue(try stage.isReady())
        XCTAssertEqual(try stage.delay(), 10_000, accuracy: 0.01)
        try stage.moveRelative(by: -1.5)
        XCTAssertEqual(link.mismatches, [])
        XCTAssertTrue(link.finished)
    }

    func testDriverReportsRefusalsAndFaultsWithTheirMeaning() throws {
        // A refused move: the controller answers TE with C.
        var (stage, link) = try connected([("1TS", "1TS000033"), ("1PA24", nil), ("1TE", "1TEC")])
        XCTAssertThrowsError(try stage.moveAbsolute(to: 24)) {
            XCTAssertTrue("\($0)".contains("refused '1PA24': C: parameter missing or out of range"), "\($0)")
        }
        XCTAssertEqual(link.mismatches, [])

        // A failed home read while waiting: NOT REFERENCED with the homing time-out bits.
        link = TranscriptLink([("1TS", "1TS004C0A")])
        stage = NewportDelayStage(link: link)
        XCTAssertThrowsError(try stage.isReady()) {
            let text = "\($0)"
            for part in ["NOT REFERENCED from RESET", "peak current limit", "RMS current limit", "homing time-out", "TS 004C0A"] {
                XCTAssertTrue(text.contains(part), "\(part) missing in \(text)")
            }
        }

        // A move asked for in NOT REFERENCED is refused before anything is sent but TS.
        (stage, link) = try connected([("1TS", "1TS00000A")])
        XCTAssertThrowsError(try stage.moveAbsolute(to: 3)) { XCTAssertTrue("\($0)".contains("home it (OR) first"), "\($0)") }
        XCTAssertTrue(link.finished)

        // Beyond the soft limits: refused without a word to the controller.
        (stage, link) = try connected([])
        XCTAssertThrowsError(try stage.moveAbsolute(to: 30)) { XCTAssertTrue("\($0)".contains("outside the soft limits"), "\($0)") }
        XCTAssertEqual(link.mismatches, [])

        // A reply that never comes: three tries, then an error naming the frame and the port.
        link = TranscriptLink([("1TP", nil), ("1TP", nil), ("1TP", nil)])
        stage = NewportDelayStage(link: link, timeout: 0.01)
        XCTAssertThrowsError(try stage.position()) {
            XCTAssertTrue("\($0)".contains("no reply to '1TP' on transcript after 3 tries"), "\($0)")
        }
        // A garbled reply, then a good one.
        link = TranscriptLink([("1TP", "543.21PT1"), ("1TP", "1TP12.345")])
        stage = NewportDelayStage(link: link, timeout: 0.01)
        XCTAssertEqual(try stage.position(), 12.345)
        XCTAssertEqual(link.mismatches, [])

        // A TE reply that never comes is not "no error": the command is unconfirmed, and TE is not
        // asked again (a second TE would read "@" after the first cleared a refusal).
        (stage, link) = try connected([("1VA1.5", nil), ("1TE", nil)], timeout: 0.01)
        XCTAssertThrowsError(try stage.configure(["stage.velocity_mm_s": .number(1.5)])) {
            XCTAssertTrue("\($0)".contains("'1VA1.5' is unconfirmed"), "\($0)")
        }
        XCTAssertEqual(link.mismatches, [])
        XCTAssertTrue(link.finished)
        XCTAssertEqual(stage.settings.number("stage.velocity_mm_s"), 0.4, "the setting keeps what the controller reported")

        // The controller's own error text.
        link = TranscriptLink([("1TBC", "1TBC PARAMETER MISSING OR OUT OF RANGE")])
        stage = NewportDelayStage(link: link)
        XCTAssertEqual(try stage.errorText(NewportCommandError(letter: "C")), "PARAMETER MISSING OR OUT OF RANGE")
    }

    /// The emulator's replies to the documented command sequence, on a virtual clock.
    func testEmulatorAnswersAsTheDocumentedController() {
        let clock = VirtualClock()
        let emulator = NewportEmulator(clock: clock, travel: 0...25, velocity: 2, homingTime: 1)
        let script: [(String, String?)] = [
            ("1TS", "1TS00000A"),          // NOT REFERENCED from RESET
            ("1PA5", nil), ("1TE", "1TEH"), // not allowed in NOT REFERENCED
            ("1TE", "1TE@"),               // reading TE cleared it
            ("1OR", nil), ("1TS", "1TS00001E"), // HOMING
            ("1OR", nil), ("1TE", "1TEE"),  // home already started
        ]
        for (sent, reply) in script { XCTAssertEqual(emulator.respond(to: sent), reply, sent) }
        clock.wait(1.01)
        let moves: [(String, String?)] = [
            ("1TS", "1TS000032"),          // READY from HOMING
            ("1TP", "1TP0"),
            ("1PA5", nil), ("1TE", "1TE@"), ("1TS", "1TS000028"), ("1TH", "1TH5"),
            ("1VA3", nil), ("1TE", "1TEM"), // not allowed while MOVING
        ]
        for (sent, reply) in moves { XCTAssertEqual(emulator.respond(to: sent), reply, sent) }
        clock.wait(1.25)  // 5 mm at 2 mm/s takes 2.5 s: halfway
        XCTAssertEqual(emulator.respond(to: "1TP"), "1TP2.5")
        clock.wait(1.3)
        let after: [(String, String?)] = [
            ("1TS", "1TS000033"),          // READY from MOVING
            ("1PA30", nil), ("1TE", "1TEC"),   // beyond SR
            ("1PR25", nil), ("1TE", "1TEG"),   // displacement out of limits
            ("1SR?", "1SR25"), ("1SL?", "1SL0"),
            ("1XX", nil), ("1TE", "1TEA"),     // unknown command
            ("2TS", nil), ("1TE", "1TEB"),     // another address
            ("1PT4", "1PT2"),
            ("1MM0", nil), ("1TS", "1TS00003C"), ("1MM1", nil), ("1TS", "1TS000034"),
            ("1TBC", "1TBC Parameter missing or out of range"),
        ]
        for (sent, reply) in after { XCTAssertEqual(emulator.respond(to: sent), reply, sent) }

        emulator.inject(.homingTimeout)
        XCTAssertNil(emulator.respond(to: "1RS"))
        XCTAssertNil(emulator.respond(to: "1TS"), "silent while it reboots")
        clock.wait(0.1)
        XCTAssertEqual(emulator.respond(to: "1TS"), "1TS00000A")
        _ = emulator.respond(to: "1OR")
        clock.wait(1.01)
        XCTAssertEqual(emulator.respond(to: "1TS"), "1TS004C0B", "NOT REFERENCED from HOMING with the homing time-out bits")
    }
}
