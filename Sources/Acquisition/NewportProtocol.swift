/// The command set of Newport CONEX-AG / CONEX-CC / SMC100-class motion controllers (docs/reference.md
/// §6): ASCII frames `{address}{COMMAND}{value}` + CR LF; a query's reply echoes the address and
/// command (`1TP12.345`). Shared by the driver and the emulator, and checked in the tests against
/// fixed transcripts from the documented command set so the two cannot merely agree.
public enum Newport {
    /// `1PA12.5`: the frame for `command` to controller `address`, without the terminator.
    public static func frame(_ address: Int, _ command: String, _ value: String = "") -> String {
        "\(address)\(command)\(value)"
    }

    /// Splits a frame into address, two-letter command and the rest, or nil when it is not one.
    public static func parse(_ frame: String) -> (address: Int, command: String, value: String)? {
        let digits = frame.prefix(while: \.isNumber)
        guard !digits.isEmpty, digits.count <= 2, let address = Int(digits) else { return nil }
        let rest = frame.dropFirst(digits.count)
        let command = rest.prefix(2)
        guard command.count == 2, command.allSatisfy({ $0.isLetter && $0.isUppercase }) else { return nil }
        return (address, String(command), String(rest.dropFirst(2)))
    }

    /// Formats a position or speed as the controllers accept it (plain decimal, no exponent).
    public static func number(_ value: Double) -> String {
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}

/// The controller state, the last two hex digits of a `TS` reply.
public struct NewportState: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case notReferenced = "NOT REFERENCED", configuration = "CONFIGURATION", homing = "HOMING"
        case moving = "MOVING", ready = "READY", disable = "DISABLE", jogging = "JOGGING"
        case tracking = "TRACKING", unknown = "UNKNOWN"
    }

    public var code: UInt8
    public init(code: UInt8) { self.code = code }

    public static let notReferencedFromReset = NewportState(code: 0x0A)
    public static let notReferencedFromHoming = NewportState(code: 0x0B)
    public static let configuration = NewportState(code: 0x14)
    public static let homing = NewportState(code: 0x1E)
    public static let moving = NewportState(code: 0x28)
    public static let readyFromHoming = NewportState(code: 0x32)
    public static let readyFromMoving = NewportState(code: 0x33)
    public static let readyFromDisable = NewportState(code: 0x34)
    public static let disableFromReady = NewportState(code: 0x3C)

    public var kind: Kind {
        switch code {
        case 0x0A...0x11: return .notReferenced
        case 0x14: return .configuration
        case 0x1E, 0x1F: return .homing
        case 0x28: return .moving
        case 0x32...0x38: return .ready
        case 0x3C...0x3F: return .disable
        case 0x46: return .jogging
        case 0x47: return .tracking
        default: return .unknown
        }
    }

    /// Where the controller came from, as the manuals word it.
    public var origin: String? {
        switch code {
        case 0x0A: return "from RESET"
        case 0x0B: return "from HOMING"
        case 0x0C: return "from CONFIGURATION"
        case 0x0D: return "from DISABLE"
        case 0x0E: return "from READY"
        case 0x0F: return "from MOVING"
        case 0x10: return "stage error"
        case 0x11: return "from JOGGING"
        case 0x1E: return "commanded from RS-232"
        case 0x1F: return "commanded by remote control"
        case 0x32: return "from HOMING"
        case 0x33: return "from MOVING"
        case 0x34: return "from DISABLE"
        case 0x35...0x38: return "from JOGGING/TRACKING"
        case 0x3C: return "from READY"
        case 0x3D: return "from MOVING"
        case 0x3E...0x3F: return "from JOGGING/TRACKING"
        default: return nil
        }
    }

    public var description: String {
        let hex = String(code, radix: 16, uppercase: true)
        return "\(kind.rawValue)\(origin.map { " " + $0 } ?? "") (0x\(hex.count < 2 ? "0" + hex : hex))"
    }
}

/// The positioner error bits, the first four hex digits of a `TS` reply.
public struct NewportErrorBits: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let negativeEndOfRun = NewportErrorBits(rawValue: 0x0001)
    public static let positiveEndOfRun = NewportErrorBits(rawValue: 0x0002)
    public static let peakCurrentLimit = NewportErrorBits(rawValue: 0x0004)
    public static let rmsCurrentLimit = NewportErrorBits(rawValue: 0x0008)
    public static let shortCircuit = NewportErrorBits(rawValue: 0x0010)
    public static let followingError = NewportErrorBits(rawValue: 0x0020)
    public static let homingTimeout = NewportErrorBits(rawValue: 0x0040)
    public static let wrongStage = NewportErrorBits(rawValue: 0x0080)
    public static let lowDCVoltage = NewportErrorBits(rawValue: 0x0100)
    public static let outputPowerExceeded = NewportErrorBits(rawValue: 0x0200)

    static let names: [(NewportErrorBits, String)] = [
        (.negativeEndOfRun, "negative end of run"), (.positiveEndOfRun, "positive end of run"),
        (.peakCurrentLimit, "peak current limit"), (.rmsCurrentLimit, "RMS current limit"),
        (.shortCircuit, "short circuit detection"), (.followingError, "following error"),
        (.homingTimeout, "homing time-out"), (.wrongStage, "wrong ESP stage"),
        (.lowDCVoltage, "DC voltage too low"), (.outputPowerExceeded, "80 W output power exceeded"),
    ]

    /// The set bits in words; unknown bits by value.
    public var meanings: [String] {
        var words = Self.names.filter { contains($0.0) }.map(\.1)
        let known = Self.names.reduce(UInt16(0)) { $0 | $1.0.rawValue }
        if rawValue & ~known != 0 { words.append("unknown bits 0x\(String(rawValue & ~known, radix: 16, uppercase: true))") }
        return words
    }

    public var description: String { isEmpty ? "no positioner error" : meanings.joined(separator: ", ") }
}

/// A decoded `TS` reply: `1TSeeeess`.
public struct NewportStatus: Equatable, Sendable, CustomStringConvertible {
    public var errors: NewportErrorBits
    public var state: NewportState

    public init(errors: NewportErrorBits, state: NewportState) { self.errors = errors; self.state = state }

    /// Decodes the six hex digits after `TS`.
    public init?(hex: String) {
        guard hex.count == 6, let bits = UInt16(hex.prefix(4), radix: 16), let code = UInt8(hex.suffix(2), radix: 16) else { return nil }
        self.init(errors: NewportErrorBits(rawValue: bits), state: NewportState(code: code))
    }

    /// The six hex digits, as the controller sends them.
    public var hex: String {
        let e = String(errors.rawValue, radix: 16, uppercase: true), s = String(state.code, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - e.count) + e + String(repeating: "0", count: 2 - s.count) + s
    }

    public var description: String { errors.isEmpty ? "\(state)" : "\(state); \(errors)" }
}

/// The last command error (`TE` reply letter) and its meaning.
public struct NewportCommandError: Equatable, Sendable, CustomStringConvertible {
    public var letter: Character
    public init(letter: Character) { self.letter = letter }

    public static let none = NewportCommandError(letter: "@")

    static let meanings: [Character: String] = [
        "@": "no error",
        "A": "unknown message code or floating point controller address",
        "B": "controller address not correct",
        "C": "parameter missing or out of range",
        "D": "command not allowed",
        "E": "home sequence already started",
        "G": "displacement out of limits",
        "H": "command not allowed in NOT REFERENCED state",
        "I": "command not allowed in CONFIGURATION state",
        "J": "command not allowed in DISABLE state",
        "K": "command not allowed in READY state",
        "L": "command not allowed in HOMING state",
        "M": "command not allowed in MOVING state",
        "N": "current position out of software limit",
        "S": "communication time-out",
        "U": "error during EEPROM access",
        "V": "error during command execution",
        "W": "command not allowed for PP version",
        "X": "command not allowed for CC version",
    ]

    public var isError: Bool { letter != "@" }
    public var meaning: String { Self.meanings[letter] ?? "unknown error code '\(letter)'" }
    public var description: String { "\(letter): \(meaning)" }
}
