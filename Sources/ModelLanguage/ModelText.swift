/// A model file's text (docs/models.md) read into a `ModelDefinition`: the subset of TOML a model
/// file uses, read here rather than by a TOML library so that the C library (which links no
/// Foundation) and Python take the same text the command line does, through the same code.
///
/// The subset: `key = value` lines and `[start]`, `[bounds]`, `[positions]` tables; values are
/// strings ("…" with \\ escapes, '…' literal, """…""" over several lines), numbers (with `inf`
/// and `-inf`), and arrays of them (over several lines too); `#` comments. Anything else, an
/// unknown key or a key given twice is refused with its line and what to do.
public enum ModelText {
    public static let topLevelKeys = ["name", "coordinates", "parameters", "expression"]
    public static let tables = ["start", "bounds", "positions"]

    public static func parse(_ text: String) throws -> ModelDefinition {
        var reader = Reader(Array(text.unicodeScalars))
        var table: String?
        var values: [String: Value] = [:]
        var tableValues: [String: [(key: String, value: Value, line: Int)]] = [:]
        while let lineNumber = reader.nextStatement() {
            if reader.peek == "[" {
                reader.advance()
                reader.skipSpaces()
                let name = try reader.key(line: lineNumber)
                reader.skipSpaces()
                guard reader.peek == "]" else { throw reader.error("expected ] after the table name", line: lineNumber) }
                reader.advance()
                try reader.endOfLine(line: lineNumber)
                guard tables.contains(name) else {
                    throw ExpressionError("line \(lineNumber): unknown table [\(name)]; the tables are [start], [bounds] and [positions]"
                                          + NameSuggestion.hint(name, among: tables))
                }
                guard tableValues[name] == nil else { throw ExpressionError("line \(lineNumber): table [\(name)] is given twice") }
                tableValues[name] = []
                table = name
                continue
            }
            let key = try reader.key(line: lineNumber)
            reader.skipSpaces()
            guard reader.peek == "=" else { throw reader.error("expected = after the key '\(key)'", line: lineNumber) }
            reader.advance()
            reader.skipSpaces()
            let value = try reader.value(line: lineNumber)
            try reader.endOfLine(line: lineNumber)
            if let table {
                guard !tableValues[table]!.contains(where: { $0.key == key }) else {
                    throw ExpressionError("line \(lineNumber): [\(table)] names '\(key)' twice")
                }
                tableValues[table]!.append((key, value, lineNumber))
            } else {
                guard topLevelKeys.contains(key) else {
                    throw ExpressionError("line \(lineNumber): unknown key '\(key)'; the known keys are \(topLevelKeys.joined(separator: ", ")) and the tables [start], [bounds], [positions]"
                                          + NameSuggestion.hint(key, among: topLevelKeys + tables))
                }
                guard values[key] == nil else { throw ExpressionError("line \(lineNumber): '\(key)' is given twice") }
                values[key] = value
            }
        }
        func required(_ key: String) throws -> Value {
            guard let value = values[key] else { throw ExpressionError("'\(key)' is missing; a model file gives name, coordinates, parameters and expression") }
            return value
        }
        func string(_ key: String) throws -> String {
            guard case .text(let s) = try required(key) else { throw ExpressionError("'\(key)' must be a string in quotes") }
            return s
        }
        func names(_ key: String) throws -> [String] {
            guard case .array(let items) = try required(key), let names = items.map({ if case .text(let s) = $0 { s } else { nil } }) as [String?]?,
                  names.allSatisfy({ $0 != nil }) else {
                throw ExpressionError("'\(key)' must be a list of names in quotes, such as [\"x\", \"y\"]")
            }
            return names.map { $0! }
        }
        var definition = ModelDefinition(name: try string("name"), coordinates: try names("coordinates"),
                                         parameters: try names("parameters"), expression: try string("expression"))
        for entry in tableValues["start"] ?? [] {
            guard case .text(let s) = entry.value else {
                throw ExpressionError("line \(entry.line): the start value of \(entry.key) must be an expression in quotes, such as \"max - min\"")
            }
            definition.start[entry.key] = s
        }
        for entry in tableValues["bounds"] ?? [] {
            let bad = ExpressionError("line \(entry.line): the bounds of \(entry.key) must be [lower, upper], numbers or \"inf\" / \"-inf\"")
            guard case .array(let items) = entry.value, items.count == 2 else { throw bad }
            let bounds = try items.map { item -> Double in
                switch item {
                case .number(let x) where !x.isNaN: return x
                case .text("inf"), .text("+inf"): return .infinity
                case .text("-inf"): return -.infinity
                default: throw bad
                }
            }
            guard bounds[0] <= bounds[1] else {
                throw ExpressionError("line \(entry.line): the bounds of \(entry.key) have the lower \(bounds[0]) above the upper \(bounds[1])")
            }
            definition.bounds[entry.key] = bounds[0]...bounds[1]
        }
        if let positions = tableValues["positions"] {
            var named: [String: String] = [:]
            for entry in positions {
                guard case .text(let s) = entry.value else {
                    throw ExpressionError("line \(entry.line): positions.\(entry.key) must name a parameter in quotes")
                }
                named[entry.key] = s
            }
            definition.positions = named
        }
        return definition
    }

    /// A model file's text for `definition` (what `parse` reads back to it).
    public static func text(_ definition: ModelDefinition) -> String {
        func quoted(_ s: String) -> String {
            "\"" + s.unicodeScalars.map { $0 == "\"" ? "\\\"" : $0 == "\\" ? "\\\\" : $0 == "\n" ? "\\n" : String($0) }.joined() + "\""
        }
        func number(_ x: Double) -> String { x == .infinity ? "\"inf\"" : x == -.infinity ? "\"-inf\"" : "\(x)" }
        var text = "name = \(quoted(definition.name))\n"
        text += "coordinates = [\(definition.coordinates.map(quoted).joined(separator: ", "))]\n"
        text += "parameters = [\(definition.parameters.map(quoted).joined(separator: ", "))]\n"
        text += "expression = \(quoted(definition.expression))\n"
        if !definition.start.isEmpty {
            text += "[start]\n" + definition.start.keys.sorted().map { "\($0) = \(quoted(definition.start[$0]!))\n" }.joined()
        }
        if !definition.bounds.isEmpty {
            text += "[bounds]\n" + definition.bounds.keys.sorted().map {
                "\($0) = [\(number(definition.bounds[$0]!.lowerBound)), \(number(definition.bounds[$0]!.upperBound))]\n"
            }.joined()
        }
        if let positions = definition.positions, !positions.isEmpty {
            text += "[positions]\n" + positions.keys.sorted().map { "\($0) = \(quoted(positions[$0]!))\n" }.joined()
        }
        return text
    }

    enum Value: Equatable {
        case text(String)
        case number(Double)
        case array([Value])
    }

    struct Reader {
        let scalars: [Unicode.Scalar]
        var position = 0
        var line = 1

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }
        mutating func advance() {
            if peek == "\n" { line += 1 }
            position += 1
        }

        func error(_ message: String, line: Int) -> ExpressionError { ExpressionError("line \(line): \(message)") }

        mutating func skipSpaces() { while peek == " " || peek == "\t" { advance() } }

        /// Skips blank lines and comments; the line number of the next statement, or nil at the end.
        mutating func nextStatement() -> Int? {
            while let c = peek {
                if c == " " || c == "\t" || c == "\r" || c == "\n" || c == "\u{FEFF}" { advance(); continue }
                if c == "#" { while let d = peek, d != "\n" { _ = d; advance() }; continue }
                return line
            }
            return nil
        }

        /// After a statement: spaces, an optional comment, then the line's end.
        mutating func endOfLine(line: Int) throws {
            skipSpaces()
            if peek == "#" { while let c = peek, c != "\n" { _ = c; advance() } }
            if peek == "\r" { advance() }
            guard peek == nil || peek == "\n" else {
                throw error("unexpected '\(peek!)' after the value; one key = value per line", line: line)
            }
        }

        mutating func key(line: Int) throws -> String {
            if peek == "\"" { return try basicString(line: line) }
            var key = ""
            while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" { key.unicodeScalars.append(c); advance() }
            guard !key.isEmpty else { throw error("expected a key (letters, digits, _ and -) or a [table]", line: line) }
            if peek == "." { throw error("dotted keys are not read; write the table, [\(key)], then the key on a line of its own", line: line) }
            return key
        }

        mutating func value(line: Int) throws -> Value {
            switch peek {
            case "\"": return .text(try basicString(line: line))
            case "'": return .text(try literalString(line: line))
            case "[":
                advance()
                var items: [Value] = []
                while true {
                    skipBlank()
                    if peek == "]" { advance(); return .array(items) }
                    items.append(try value(line: line))
                    skipBlank()
                    if peek == "," { advance(); continue }
                    guard peek == "]" else { throw error("expected , or ] in the list", line: line) }
                }
            case "{": throw error("inline tables are not read; write [start], [bounds] or [positions] and a key per line", line: line)
            case nil: throw error("a value is missing", line: line)
            default: return .number(try number(line: line))
            }
        }

        /// Spaces, newlines and comments inside a list.
        mutating func skipBlank() {
            while let c = peek {
                if c == " " || c == "\t" || c == "\r" || c == "\n" { advance(); continue }
                if c == "#" { while let d = peek, d != "\n" { _ = d; advance() }; continue }
                return
            }
        }

        mutating func number(line: Int) throws -> Double {
            var digits = ""
            while let c = peek, c.properties.isAlphabetic || ("0"..."9").contains(c) || "+-._".unicodeScalars.contains(c) {
                if c != "_" { digits.unicodeScalars.append(c) }
                advance()
            }
            switch digits {
            case "inf", "+inf": return .infinity
            case "-inf": return -.infinity
            default: break
            }
            guard let x = Double(digits), !x.isNaN else {
                throw error("'\(digits)' is no value: give a string in quotes, a number or a list", line: line)
            }
            return x
        }

        mutating func basicString(line: Int) throws -> String {
            if position + 2 < scalars.count, scalars[position + 1] == "\"", scalars[position + 2] == "\"" {
                return try multilineString(line: line)
            }
            advance()
            var s = ""
            while let c = peek {
                advance()
                if c == "\"" { return s }
                if c == "\n" { break }
                if c == "\\" {
                    guard let e = peek else { break }
                    advance()
                    s += try escaped(e, line: line)
                    continue
                }
                s.unicodeScalars.append(c)
            }
            throw error("a string is not closed by \" on its line (\"\"\" quotes a string over several lines)", line: line)
        }

        /// The character escape `\\e` stands for.
        func escaped(_ e: Unicode.Scalar, line: Int) throws -> String {
            switch e {
            case "n": return "\n"
            case "t": return "\t"
            case "\"": return "\""
            case "\\": return "\\"
            default: throw error("unknown escape \\\(e) in a string", line: line)
            }
        }

        mutating func multilineString(line: Int) throws -> String {
            advance(); advance(); advance()
            if peek == "\n" { advance() }  // a newline right after the opening quotes is not part of it
            var s = ""
            while let c = peek {
                if c == "\"", position + 2 < scalars.count, scalars[position + 1] == "\"", scalars[position + 2] == "\"" {
                    advance(); advance(); advance()
                    return s
                }
                advance()
                if c == "\\", let e = peek {
                    advance()
                    // A backslash at a line's end joins the next line, its leading blanks dropped.
                    if e == "\n" { while peek == " " || peek == "\t" || peek == "\n" || peek == "\r" { advance() } } else { s += try escaped(e, line: line) }
                    continue
                }
                s.unicodeScalars.append(c)
            }
            throw error("a \"\"\" string is never closed", line: line)
        }

        mutating func literalString(line: Int) throws -> String {
            advance()
            var s = ""
            while let c = peek, c != "\n" {
                advance()
                if c == "'" { return s }
                s.unicodeScalars.append(c)
            }
            throw error("a string is not closed by ' on its line", line: line)
        }
    }
}
