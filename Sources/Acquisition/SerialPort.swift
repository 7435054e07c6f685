#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import CPseudoTerminal

/// A line-oriented byte link to an instrument controller: what a serial driver needs, so the same
/// driver runs on a real port, on a pseudo-terminal against an emulator, or against a transcript.
public protocol SerialLink: AnyObject {
    /// Where the link goes ("/dev/ttyUSB0"), for error messages.
    var path: String { get }
    /// Writes `line` followed by the line terminator.
    func send(_ line: String) throws
    /// The next line (terminator stripped), or nil when none arrives within `timeout` s.
    func receiveLine(timeout: Double) throws -> String?
    /// Drops anything received and not yet read (a late reply to an earlier command).
    func discardInput() throws
}

/// The one place that makes the POSIX serial calls (open, termios, poll, read, write): a port in
/// raw mode, 8N1, at `baud`, lines framed by CR LF (the Newport controllers' framing).
public final class SerialPort: SerialLink {
    public let path: String
    public let terminator: [UInt8]
    private var fd: Int32
    private var pending: [UInt8] = []

    /// Opens and configures `path`. Baud rates the controllers use: 57600 (SMC100), 921600
    /// (CONEX-CC/AG; USB virtual ports ignore it). `xonXoff` turns on software flow control (SMC100).
    public init(path: String, baud: Int = 921_600, xonXoff: Bool = false, terminator: String = "\r\n") throws {
        self.path = path
        self.terminator = Array(terminator.utf8)
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw Self.failure(path, "cannot open", errno) }
        var options = termios()
        guard tcgetattr(fd, &options) == 0 else {
            let code = errno; close(fd)
            throw Self.failure(path, "is not a serial port (tcgetattr)", code)
        }
        cfmakeraw(&options)
        guard let speed = Self.speed(baud) else {
            close(fd)
            throw AcquisitionError(path, "baud rate \(baud) is not one a POSIX serial port offers; use 9600, 19200, 38400, 57600, 115200, 230400, 460800 or 921600")
        }
        cfsetispeed(&options, speed)
        cfsetospeed(&options, speed)
        options.c_cflag |= tcflag_t(CLOCAL | CREAD)
        options.c_cflag &= ~tcflag_t(CSTOPB | PARENB)
        if xonXoff { options.c_iflag |= tcflag_t(IXON | IXOFF) } else { options.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY) }
        guard tcsetattr(fd, TCSANOW, &options) == 0 else {
            let code = errno; close(fd)
            throw Self.failure(path, "refused its settings (tcsetattr)", code)
        }
        tcflush(fd, TCIOFLUSH)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Seconds a write may stall (flow control held off, a full output queue) before it fails.
    public var writeTimeout = 2.0

    public func send(_ line: String) throws {
        var bytes = Array(line.utf8) + terminator
        var offset = 0
        let deadline = Date().addingTimeInterval(writeTimeout)
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n; continue }
            let code = errno
            guard n < 0, code == EAGAIN || code == EINTR else { throw Self.failure(path, "write failed", code) }
            guard Date() < deadline else {
                throw AcquisitionError(path, "cannot send '\(line)': the port took nothing for \(writeTimeout) s (flow control held off by a stray XOFF, or a stalled adapter); check the cable and the xon_xoff setting")
            }
            // A stray XOFF byte stops output under software flow control: restart it.
            tcflow(fd, TCOON)
            _ = try wait(for: Int16(POLLOUT), timeout: 0.1)
        }
    }

    public func receiveLine(timeout: Double) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let line = takeLine() { return line }
            let left = deadline.timeIntervalSinceNow
            guard left > 0, try wait(for: Int16(POLLIN), timeout: left) else { return nil }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n > 0 { pending += buffer[0..<n]; continue }
            let code = errno
            if n < 0, code == EAGAIN || code == EINTR { continue }
            throw n == 0 ? AcquisitionError(path, "the port closed (device unplugged?)") : Self.failure(path, "read failed", code)
        }
    }

    public func discardInput() throws {
        pending.removeAll()
        tcflush(fd, TCIFLUSH)
        var buffer = [UInt8](repeating: 0, count: 256)
        while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress!, $0.count) }) > 0 {}
    }

    /// Removes and returns the first complete line of `pending`.
    private func takeLine() -> String? {
        guard let end = pending.firstRange(of: terminator) else { return nil }
        let line = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
        pending.removeSubrange(..<end.upperBound)
        return line
    }

    /// Waits until the port is readable/writable (`events`); false on timeout.
    private func wait(for events: Int16, timeout: Double) throws -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let result = poll(&entry, 1, Int32(min(max(1, (timeout * 1000).rounded(.up)), 3_600_000)))
        if result < 0 {
            let code = errno
            if code == EINTR { return false }
            throw Self.failure(path, "poll failed", code)
        }
        if result > 0, entry.revents & Int16(POLLHUP | POLLERR) != 0, entry.revents & Int16(POLLIN) == 0 {
            throw AcquisitionError(path, "the port hung up (device unplugged?)")
        }
        return result > 0
    }

    static func speed(_ baud: Int) -> speed_t? {
        switch baud {
        case 9600: return speed_t(B9600)
        case 19200: return speed_t(B19200)
        case 38400: return speed_t(B38400)
        case 57600: return speed_t(B57600)
        case 115_200: return speed_t(B115200)
        case 230_400: return speed_t(B230400)
        #if os(Linux)
        case 460_800: return speed_t(B460800)
        case 921_600: return speed_t(B921600)
        #endif
        default: return nil
        }
    }

    static func failure(_ path: String, _ what: String, _ code: Int32) -> AcquisitionError {
        AcquisitionError(path, "\(what): \(String(cString: strerror(code)))")
    }
}

/// A pseudo-terminal pair: the `controllerFD` side for an emulated controller, `devicePath` for a
/// driver to open as it would a real port.
public final class PseudoTerminal {
    public let controllerFD: Int32
    public let devicePath: String

    public init() throws {
        var name = [CChar](repeating: 0, count: 256)
        let fd = femtofit_open_pseudo_terminal(&name, name.count)
        guard fd >= 0 else { throw SerialPort.failure("pseudo-terminal", "cannot open", errno) }
        controllerFD = fd
        devicePath = String(cString: name)
    }

    deinit { close(controllerFD) }
}
