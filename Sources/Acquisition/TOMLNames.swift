/// What TOML (1.0) allows outside quoted strings and comments: ASCII only, and a table header
/// starts with a bare-key character or a quote. toml++ 3 (inside TOMLKit 0.6.0) aborts the whole
/// process on an assertion otherwise (`[été]`, `[.a]`, ``[[`x]]``, a `[` or `[[` with nothing
/// after it on its line, and a `}` where an array's item should begin, `x = [}]`: all found by
/// scripts/hardening's FuzzConfig), so plan and instrument files are checked here first and the
/// fault is refused with its line and column.
enum TOMLNames {
    /// The first non-ASCII character outside strings and comments, or the first character of a
    /// table header's name that cannot start one, a header whose line ends before its name, or a
    /// `}` that begins an array's item:
    /// its line and column (from 1) and what is wrong; nil when there is none. `text` has LF
    /// line ends (`TextFile.normalised`).
    static func firstFault(_ text: String) -> (line: Int, column: Int, problem: String)? {
        func refused(_ c: Character) -> String {
            "'\(c)' is not allowed in a TOML name; names are ASCII letters, digits, - and _ (put other text in quotes)"
        }
        enum State { case code, comment, basic, literal, multiBasic, multiLiteral }
        var state = State.code
        var line = 1, column = 0, atLineStart = true
        // The value's open arrays and inline tables, innermost last: a `[` that starts a line inside
        // them opens an array, not a header.
        var open: [Character] = []
        // The last character of code (not a space, a line end or a comment).
        var lastCode: Character = "\n"
        let characters = Array(text)
        var i = 0
        func starts(_ s: String, at k: Int) -> Bool {
            let pattern = Array(s)
            return k + pattern.count <= characters.count && Array(characters[k..<(k + pattern.count)]) == pattern
        }
        while i < characters.count {
            let c = characters[i]
            column += 1
            if c == "\n" {
                line += 1; column = 0; atLineStart = true
                if state == .comment || state == .basic || state == .literal { state = .code }
                i += 1
                continue
            }
            switch state {
            case .code:
                if (c == "[" && !(atLineStart && open.isEmpty)) || c == "{" { open.append(c) }
                else if (c == "]" || c == "}") && !open.isEmpty {
                    if c == "}" && open.last == "[" && (lastCode == "[" || lastCode == ",") {
                        return (line, column, "'}' cannot begin an array's item: give a value or close the array with ']'")
                    }
                    open.removeLast()
                }
                else if c == "[" {
                    // A header: its first name must start with a bare-key character or a quote.
                    var k = i + 1
                    if k < characters.count && characters[k] == "[" { k += 1 }
                    while k < characters.count && (characters[k] == " " || characters[k] == "\t") { k += 1 }
                    if k < characters.count {
                        let d = characters[k]
                        let startsName = d.isASCII && (d.isLetter || d.isNumber || "_-\"']".contains(d))
                        if d == "\n" { return (line, column + (k - i), "a table header has no name before the line's end: write [name]") }
                        if !startsName { return (line, column + (k - i), refused(d)) }
                    }
                }
                if c != " " && c != "\t" { atLineStart = false; if c != "#" { lastCode = c } }
                if c == "#" { state = .comment }
                else if starts("\"\"\"", at: i) { state = .multiBasic; i += 2; column += 2 }
                else if starts("'''", at: i) { state = .multiLiteral; i += 2; column += 2 }
                else if c == "\"" { state = .basic }
                else if c == "'" { state = .literal }
                else if !c.isASCII { return (line, column, refused(c)) }
            case .comment: break
            case .basic:
                if c == "\\" { i += 1; column += 1 } else if c == "\"" { state = .code }
            case .literal:
                if c == "'" { state = .code }
            case .multiBasic:
                if c == "\\" { i += 1; column += 1 } else if starts("\"\"\"", at: i) { state = .code; i += 2; column += 2 }
            case .multiLiteral:
                if starts("'''", at: i) { state = .code; i += 2; column += 2 }
            }
            i += 1
        }
        return nil
    }
}
