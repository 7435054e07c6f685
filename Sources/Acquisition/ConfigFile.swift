import Foundation
import TextInput
import TOMLKit

/// A TOML file (scan plan or instrument file) read into plain values, with readers that name the
/// file and the key path in every error and refuse keys they do not know (a misspelt
/// `exposur_ms` must not silently fall back to a default).
public indirect enum ConfigValue: Sendable, Equatable {
    case table([String: ConfigValue])
    case array([ConfigValue])
    case text(String)
    case integer(Int)
    case real(Double)
    case flag(Bool)

    var kind: String {
        switch self {
        case .table: return "a table"
        case .array: return "a list"
        case .text: return "text"
        case .integer: return "a whole number"
        case .real: return "a number"
        case .flag: return "true or false"
        }
    }
}

/// One table of a config file, read key by key.
public final class ConfigTable {
    public let file: String
    /// Where this table sits ("delays.segments[1]"); empty at the top.
    public let path: String
    let entries: [String: ConfigValue]
    private var used: Set<String> = []

    init(file: String, path: String, entries: [String: ConfigValue]) {
        self.file = file; self.path = path; self.entries = entries
    }

    /// Parses TOML `text` from `file`; a syntax error names the line and column.
    public static func parse(_ text: String, file: String) throws -> ConfigTable {
        let table: TOMLTable
        let text = TextFile.normalised(text)
        if let found = TOMLNames.firstFault(text) {
            throw AcquisitionError(file, "line \(found.line), column \(found.column): \(found.problem)")
        }
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw AcquisitionError(file, "line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        guard case .table(let entries) = convert(table.tomlValue) else { throw AcquisitionError(file, "is not a TOML table") }
        return ConfigTable(file: file, path: "", entries: entries)
    }

    /// Reads and parses the TOML file at `path`.
    public static func load(_ path: String) throws -> ConfigTable {
        do { return try parse(try TextFile.read(path), file: path) } catch let failure as TextFile.ReadFailure {
            throw AcquisitionError(path, failure.description)
        }
    }

    static func convert(_ value: TOMLValue) -> ConfigValue {
        switch value.type {
        case .table:
            var entries: [String: ConfigValue] = [:]
            if let table = value.table { for key in table.keys { if let v = table[key]?.tomlValue { entries[key] = convert(v) } } }
            return .table(entries)
        case .array: return .array((value.array ?? TOMLArray()).map { convert($0.tomlValue) })
        case .string: return .text(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .real(value.double ?? .nan)
        case .bool: return .flag(value.bool ?? false)
        default: return .text(value.debugDescription)
        }
    }

    public var keys: [String] { entries.keys.sorted() }
    public func has(_ key: String) -> Bool { entries[key] != nil }

    /// `key`'s full name for errors ("delays.segments[1].stop").
    public func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key` in this file.
    public func error(_ key: String?, _ message: String) -> AcquisitionError {
        AcquisitionError(file, "\(key.map { name($0) + ": " } ?? (path.isEmpty ? "" : path + ": "))\(message)")
    }

    func value(_ key: String) -> ConfigValue? {
        used.insert(key)
        return entries[key]
    }

    public func number(_ key: String) throws -> Double? {
        switch value(key) {
        case nil: return nil
        case .integer(let v)?: return Double(v)
        case .real(let v)? where v.isFinite: return v
        case let other?: throw error(key, "must be a finite number, not \(other.kind)")
        }
    }

    public func number(_ key: String, default fallback: Double) throws -> Double { try number(key) ?? fallback }

    public func requiredNumber(_ key: String) throws -> Double {
        guard let v = try number(key) else { throw error(key, "is missing; give a number") }
        return v
    }

    public func integer(_ key: String) throws -> Int? {
        guard let v = try number(key) else { return nil }
        guard v == v.rounded() else { throw error(key, "must be a whole number, not \(v)") }
        guard abs(v) < 1e15 else { throw error(key, "is \(v), far outside any range femtofit takes; check the value") }
        return Int(v)
    }

    /// A whole number within `range`; a value outside it (or not whole) gets an error that gives
    /// the range.
    public func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = try number(key) else { return nil }
        guard v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
            let shown = v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
            throw error(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(shown)")
        }
        return Int(v)
    }

    public func text(_ key: String) throws -> String? {
        switch value(key) {
        case nil: return nil
        case .text(let t)?: return t
        case let other?: throw error(key, "must be text in quotes, not \(other.kind)")
        }
    }

    public func flag(_ key: String) throws -> Bool? {
        switch value(key) {
        case nil: return nil
        case .flag(let b)?: return b
        case let other?: throw error(key, "must be true or false, not \(other.kind)")
        }
    }

    public func numbers(_ key: String) throws -> [Double]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw error(key, "must be a list of numbers, not \(v.kind)") }
        return try items.enumerated().map { i, item in
            switch item {
            case .integer(let n): return Double(n)
            case .real(let n) where n.isFinite: return n
            default: throw error(key, "item \(i) must be a finite number, not \(item.kind)")
            }
        }
    }

    public func table(_ key: String) throws -> ConfigTable? {
        guard let v = value(key) else { return nil }
        guard case .table(let entries) = v else { throw error(key, "must be a table ([\(name(key))]), not \(v.kind)") }
        return ConfigTable(file: file, path: name(key), entries: entries)
    }

    /// An array of tables (`[[spots]]`) or of inline tables.
    public func tables(_ key: String) throws -> [ConfigTable]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw error(key, "must be a list of tables ([[\(name(key))]]), not \(v.kind)") }
        return try items.enumerated().map { i, item in
            guard case .table(let entries) = item else { throw error(key, "item \(i) must be a table, not \(item.kind)") }
            return ConfigTable(file: file, path: "\(name(key))[\(i)]", entries: entries)
        }
    }

    /// The table's values as they are (for settings passed through to a device).
    public func raw(_ key: String) -> ConfigValue? { value(key) }

    /// Refuses keys that were never read: a misspelling, or a setting this version lacks.
    public func rejectUnknownKeys() throws {
        let unknown = Set(entries.keys).subtracting(used).sorted()
        guard let first = unknown.first else { return }
        let known = used.sorted().joined(separator: ", ")
        throw error(first, "is not a key femtofit knows here\(known.isEmpty ? "" : "; known keys: \(known)")")
    }
}
