import Foundation

/// Reads CSV as RFC 4180 writes it: fields separated by commas, quoted with double quotes
/// when they hold commas, quotes or line breaks, a quote inside doubled; CRLF or LF line
/// ends; a leading byte-order mark ignored. Cairn's own reader because none of the chosen
/// dependencies reads CSV and the format is small; the uploads it serves (calibration
/// responses now, cohort invites later) need row numbers for their error messages, which
/// `rows` keeps.
public enum CSVReader {
    public struct Row: Sendable, Equatable {
        /// 1-based line number of the row's first line in the file (the header is row 1).
        public var line: Int
        public var fields: [String]
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unterminatedQuote(line: Int)
        case textAfterQuote(line: Int)

        public var description: String {
            switch self {
            case let .unterminatedQuote(line): "line \(line): a quoted field is never closed; close it with a double quote"
            case let .textAfterQuote(line): "line \(line): text follows a closing quote; put the whole field inside the quotes"
            }
        }
    }

    /// Every non-empty row, in order.
    public static func rows(_ text: String) throws -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var rowLine = 1
        var inQuotes = false
        var afterQuote = false
        var characters = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        if let first = characters.next(), first != "\u{FEFF}" { pending = first }

        func endRow() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowLine, fields: fields)) }
            fields = []
        }

        while let scalar = pending ?? characters.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; afterQuote = true; pending = next }
                    } else {
                        inQuotes = false
                        afterQuote = true
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty && !afterQuote:
                inQuotes = true
            case ",":
                fields.append(field)
                field = ""
                afterQuote = false
            case "\r":
                // CRLF ends a row at the LF; a CR alone (old Mac files) ends it here.
                if let next = characters.next() {
                    pending = next
                    if next == "\n" { continue }
                }
                endRow()
                afterQuote = false
                line += 1
                rowLine = line
            case "\n":
                endRow()
                afterQuote = false
                line += 1
                rowLine = line
            default:
                if afterQuote { throw Failure.textAfterQuote(line: line) }
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw Failure.unterminatedQuote(line: rowLine) }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }
}
