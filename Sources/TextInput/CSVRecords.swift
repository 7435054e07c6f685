/// Comma-separated records as RFC 4180 writes them: a field in double quotes may hold commas,
/// line breaks and doubled quotes (`"a ""b"", c"`); spaces around a field are not part of it.
/// Files from spreadsheets, pandas and R quote their headers or text fields this way.
public enum CSVRecords {
    public struct Record: Equatable, Sendable {
        /// The line the record starts on, from 1.
        public let line: Int
        public let fields: [String]
    }

    /// A quote that is never closed: the line it opened on.
    public struct UnclosedQuote: Error, Equatable {
        public let line: Int
    }

    /// The records of normalised text (`TextFile.normalised`); blank lines are skipped.
    public static func parse(_ text: String) throws(UnclosedQuote) -> [Record] {
        var records: [Record] = []
        do { try forEach(text) { records.append($0) } } catch let unclosed as UnclosedQuote { throw unclosed } catch {
            preconditionFailure("collecting records throws nothing else: \(error)")
        }
        return records
    }

    /// The same records handed to `body` one at a time, as they are parsed, so that a reader of a
    /// large file need not hold them all. An unclosed quote is found at the end, after `body` has
    /// had the records before it.
    public static func forEach(_ text: String, _ body: (Record) throws -> Void) throws {
        var parser = Parser()
        for byte in text.utf8 { if let record = parser.take(byte) { try body(record) } }
        // A final line end, so the last record closes like the others.
        if let record = parser.take(10) { try body(record) }
        if parser.inQuotes { throw UnclosedQuote(line: parser.quoteLine) }
    }

    /// The state between bytes.
    struct Parser {
        var fields: [String] = []
        var field: [UInt8] = []
        /// The field began with a quote (its text is what the quotes held, taken as it is).
        var quoted = false
        var inQuotes = false
        /// A quote inside quotes: the field's end, or the first of a doubled quote.
        var quoteSeen = false
        var blank = true
        var line = 1, recordLine = 1, quoteLine = 1

        /// Reads one byte; the record it completes, if any.
        mutating func take(_ byte: UInt8) -> Record? {
            if inQuotes {
                if quoteSeen {
                    quoteSeen = false
                    if byte == 34 { field.append(34); return nil }  // "" inside quotes
                    inQuotes = false  // the closing quote; this byte is read below
                } else if byte == 34 {
                    quoteSeen = true
                    return nil
                } else {
                    if byte == 10 { line += 1 }
                    field.append(byte)
                    return nil
                }
            }
            switch byte {
            case 34 where !quoted && field.allSatisfy({ $0 == 32 || $0 == 9 }):
                inQuotes = true
                quoted = true
                blank = false
                quoteLine = line
                field.removeAll(keepingCapacity: true)
            case 44:
                blank = false
                finishField()
            case 10:
                finishField()
                let record = blank ? nil : Record(line: recordLine, fields: fields)
                fields.removeAll(keepingCapacity: true)
                blank = true
                line += 1
                recordLine = line
                return record
            case 32, 9:
                if !quoted { field.append(byte) }  // spaces after a closing quote are dropped
            default:
                blank = false
                field.append(byte)  // text after a closing quote is kept, as most readers do
            }
            return nil
        }

        mutating func finishField() {
            let text = String(decoding: field, as: UTF8.self)
            fields.append(quoted ? text : text.trimmingSpaces())
            field.removeAll(keepingCapacity: true)
            quoted = false
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(scalars[first...last])
    }
}
