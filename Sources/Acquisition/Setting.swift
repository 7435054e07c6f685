import TAMData

/// A setting's value: a number in the setting's unit, a choice, text or a switch.
public enum SettingValue: Sendable, Equatable, CustomStringConvertible {
    case number(Double)
    case text(String)
    case flag(Bool)

    public var description: String {
        switch self {
        case .number(let v): return "\(v)"
        case .text(let t): return t
        case .flag(let b): return b ? "true" : "false"
        }
    }
}

/// A typed device setting with its unit and limits (docs/reference.md §6: every setting ends up in
/// dataset.json). `check` refuses a value outside the limits before any hardware is touched.
public struct Setting: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A number within [minimum, maximum] (inclusive), in `unit`.
        case number(minimum: Double, maximum: Double)
        /// A whole number within [minimum, maximum] (pixels, binning, passes).
        case whole(minimum: Double, maximum: Double)
        /// One of the listed texts.
        case choice([String])
        case flag
        case text
    }

    /// `device.setting` as dataset.json names it ("camera.exposure_ms").
    public var name: String
    public var unit: String?
    public var kind: Kind
    public var value: SettingValue

    public init(_ name: String, unit: String? = nil, kind: Kind, value: SettingValue) {
        self.name = name; self.unit = unit; self.kind = kind; self.value = value
    }

    /// `value` if the setting accepts it; else an error naming the setting, the value and the limits.
    public func check(_ value: SettingValue) throws -> SettingValue {
        switch (kind, value) {
        case let (.number(lo, hi), .number(v)):
            guard v.isFinite, v >= lo, v <= hi else {
                throw AcquisitionError(name, "\(v)\(unit.map { " " + $0 } ?? "") is outside \(lo)...\(hi)\(unit.map { " " + $0 } ?? "")")
            }
        case let (.whole(lo, hi), .number(v)):
            guard v.isFinite, v == v.rounded(), v >= lo, v <= hi else {
                throw AcquisitionError(name, "\(v)\(unit.map { " " + $0 } ?? "") is not a whole number within \(Int(lo))...\(Int(hi))\(unit.map { " " + $0 } ?? "")")
            }
        case let (.choice(options), .text(t)):
            guard options.contains(t) else { throw AcquisitionError(name, "'\(t)' is not one of \(options.joined(separator: ", "))") }
        case (.flag, .flag), (.text, .text):
            break
        default:
            throw AcquisitionError(name, "takes \(kind.expected), not '\(value)'")
        }
        return value
    }

    /// The entry dataset.json's `instrument` block gets.
    public var instrumentSetting: InstrumentSetting {
        switch value {
        case .number(let v): return InstrumentSetting(v, unit: unit)
        case .text(let t): return InstrumentSetting(t)
        case .flag(let b): return InstrumentSetting(b)
        }
    }
}

extension Setting.Kind {
    var expected: String {
        switch self {
        case .number: return "a number"
        case .whole: return "a whole number"
        case .choice(let options): return "one of \(options.joined(separator: ", "))"
        case .flag: return "true or false"
        case .text: return "text"
        }
    }
}

extension Array where Element == Setting {
    /// Sets each named value after checking it; an unknown name is an error listing the known ones.
    public mutating func apply(_ values: [String: SettingValue], device: String) throws {
        var updated = self
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let i = updated.firstIndex(where: { $0.name == name }) else {
                throw AcquisitionError(device, "has no setting '\(name)'; it has \(map(\.name).joined(separator: ", "))")
            }
            updated[i].value = try updated[i].check(value)
        }
        self = updated
    }

    /// The number a setting holds (nil when it is not a number or absent).
    public func number(_ name: String) -> Double? {
        if case .number(let v)? = first(where: { $0.name == name })?.value { return v }
        return nil
    }
}
