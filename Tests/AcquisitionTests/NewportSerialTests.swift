import Acquisition
import XCTest

/// The driver on a real POSIX serial port (the device side of a pseudo-terminal) against the
/// emulated controller on the other side: the bytes, the timing and the faults of a real link.
final class NewportSerialTests: XCTestCase {
    var emulator: NewportEmulator!
    var stage: NewportDelayStage!

    override func setUpWithError() throws {
        emulator = NewportEmulator(travel: 0...25, velocity: 100, homingTime: 0.05, resetTime: 0.05)
        let path = try emulator.serve()
        stage = NewportDelayStage(link: try SerialPort(path: path), zeroMillimetres: 2, timeout: 0.2, tries: 3)
    }

    override func tearDown() {
        emulator.shutdown()
    }

    func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(5)
        while try !stage.isReady() {
            guard Date() < deadline else { throw AcquisitionError("test", "stage never became ready") }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    func testConnectHomesThenMovesToDelays() throws {
        try stage.connect()
        XCTAssertEqual(stage.identity, emulator.identity)
        XCTAssertEqual(stage.travel, 0...25)
        XCTAssertEqual(try stage.status().state, .readyFromHoming, "connect homed the unreferenced stage")
        XCTAssertTrue(emulator.received.contains("1OR"))
        try stage.configure([:])
        for delay in [-500.0, 0, 1000, 50_000, 150_000] {
            try stage.move(toDelay: delay)
            try waitUntilReady()
            XCTAssertEqual(try stage.delay(), delay, accuracy: 0.01, "at \(delay) fs")
        }
        XCTAssertThrowsError(try stage.move(toDelay: 200_000)) { XCTAssertTrue("\($0)".contains("outside its travel"), "\($0)") }
        try stage.moveRelative(by: -1)
        try waitUntilReady()
        XCTAssertEqual(try stage.position(), 2 + 150_000 * 2.99792458e-4 / 2 - 1, accuracy: 1e-5)
        try stage.setSoftLimits(1...20)
        XCTAssertEqual(stage.travel, 1...20)
        XCTAssertThrowsError(try stage.moveRelative(by: 10)) { XCTAssertTrue("\($0)".contains("leaves the soft limits"), "\($0)") }
    }

    func testLostRepliesAreRetriedAndLostMovesResentOnce() throws {
        try stage.connect()
        try stage.configure([:])
        // Two replies lost: the query is sent three times and the third answer counts.
        emulator.inject(.dropReplies(count: 2))
        XCTAssertEqual(try stage.position(), 0, accuracy: 1e-9)
        // A garbled reply is retried too.
        emulator.inject(.garbleReply)
        XCTAssertEqual(try stage.position(), 0, accuracy: 1e-9)

        // An absolute move lost on the line: the set-point shows it, the driver sends it again.
        emulator.inject(.loseCommand("PA"))
        try stage.moveAbsolute(to: 5)
        try waitUntilReady()
        XCTAssertEqual(try stage.position(), 5, accuracy: 1e-6)
        XCTAssertEqual(emulator.received.filter { $0 == "1PA5" }.count, 2)

        // A relative move whose confirmation is lost: re-read, not resent.
        emulator.inject(.dropReplies(count: 1, to: "TE"))
        try stage.moveRelative(by: 2)
        try waitUntilReady()
        XCTAssertEqual(try stage.position(), 7, accuracy: 1e-6, "the move happened once, not twice")
        XCTAssertEqual(emulator.received.filter { $0.hasPrefix("1PR") }.count, 1)
        XCTAssertFalse(emulator.received.contains("1PA7"))

        // A relative move lost on the line: re-read, then sent once as the absolute target.
        emulator.inject(.loseCommand("PR"))
        try stage.moveRelative(by: -3)
        try waitUntilReady()
        XCTAssertEqual(try stage.position(), 4, accuracy: 1e-6)
        XCTAssertEqual(emulator.received.filter { $0 == "1PA4" }.count, 1)
    }

    func testControllerFaultsBecomeClearErrors() throws {
        try stage.connect()
        try stage.configure([:])
        emulator.inject(.followingError)
        try stage.moveAbsolute(to: 20)
        XCTAssertThrowsError(try waitUntilReady()) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("DISABLE from MOVING") && text.contains("following error"), text)
        }
        XCTAssertThrowsError(try stage.moveAbsolute(to: 1)) { XCTAssertTrue("\($0)".contains("moves need READY"), "\($0)") }

        emulator.inject(.homingTimeout)
        XCTAssertThrowsError(try stage.home()) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("NOT REFERENCED from HOMING") && text.contains("homing time-out"), text)
        }
        try stage.home()
        XCTAssertTrue(try stage.isReady(), "a second home succeeds")
        XCTAssertEqual(try stage.lastError(), .none)

        // A silent controller: the error names the frame, the port and what to check.
        emulator.inject(.dropReplies(count: 100))
        XCTAssertThrowsError(try stage.position()) {
            XCTAssertTrue("\($0)".contains("no reply to '1TP'") && "\($0)".contains("check the cable"), "\($0)")
        }
    }

    func testSerialPortRefusesWhatIsNotAPort() throws {
        XCTAssertThrowsError(try SerialPort(path: "/nonexistent/ttyUSB9")) { XCTAssertTrue("\($0)".contains("cannot open"), "\($0)") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-port-\(UUID())")
        XCTAssertTrue(FileManager.default.createFile(atPath: file.path, contents: Data()))
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertThrowsError(try SerialPort(path: file.path)) { XCTAssertTrue("\($0)".contains("not a serial port"), "\($0)") }
        XCTAssertThrowsError(try SerialPort(path: "/dev/null")) { XCTAssertTrue("\($0)".contains("not a serial port"), "\($0)") }
        let pty = try PseudoTerminal()
        XCTAssertThrowsError(try SerialPort(path: pty.devicePath, baud: 12345)) {
            XCTAssertTrue("\($0)".contains("baud rate 12345"), "\($0)")
        }
    }
}
