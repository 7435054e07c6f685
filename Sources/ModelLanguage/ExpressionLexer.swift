/// The tokens of the model language: numbers, names, `+ - * / ^ ( ) ,`.
struct ExpressionToken: Equatable {
    enum Kind: Equatable {
        case number(Double)
        case name(String)
        case symbol(Character)
        case end
    }
    let kind: Kind
    /// 0-based offset of the token's first character in the expression.
    let offset: Int
}

/// Splits an expression into tokens, or says which character it cannot read.
enum ExpressionLexer {
    static func tokens(_ text: String) throws -> [ExpressionToken] {
        let characters = Array(text)
        var tokens: [ExpressionToken] = []
        var i = 0
        while i < characters.count {
            let c = characters[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if c.isASCII && (c.isNumber || (c == "." && i + 1 < characters.count && characters[i + 1].isNumber)) {
                let start = i
                while i < characters.count, characters[i].isASCII, characters[i].isNumber || characters[i] == "." { i += 1 }
                // An exponent: e or E, an optional sign, digits.
                if i < characters.count, characters[i] == "e" || characters[i] == "E" {
                    var j = i + 1
                    if j < characters.count, characters[j] == "+" || characters[j] == "-" { j += 1 }
                    if j < characters.count, characters[j].isASCII, characters[j].isNumber {
                        i = j
                        while i < characters.count, characters[i].isASCII, characters[i].isNumber { i += 1 }
                    }
                }
                let literal = String(characters[start..<i])
                guard let value = Double(literal), value.isFinite else {
                    throw ExpressionError("'\(literal)' is not a number", source: text, offset: start)
                }
                tokens.append(ExpressionToken(kind: .number(value), offset: start))
                continue
            }
            if c.isASCII && (c.isLetter || c == "_") {
                let start = i
                while i < characters.count, characters[i].isASCII, characters[i].isLetter || characters[i].isNumber || characters[i] == "_" { i += 1 }
                tokens.append(ExpressionToken(kind: .name(String(characters[start..<i])), offset: start))
                continue
            }
            if "+-*/^(),".contains(c) {
                tokens.append(ExpressionToken(kind: .symbol(c), offset: i))
                i += 1
                continue
            }
            throw ExpressionError("'\(c)' is not part of the model language (numbers, names, + - * / ^, parentheses and commas)",
                                  source: text, offset: i)
        }
        tokens.append(ExpressionToken(kind: .end, offset: characters.count))
        return tokens
    }
}
