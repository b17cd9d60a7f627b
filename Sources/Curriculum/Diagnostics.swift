/// One finding about course files, located by file and line.
///
/// Errors make content invalid (the validator exits non-zero, the server refuses to
/// start); warnings and notes are reported but do not block.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Comparable {
        case note, warning, error

        private var rank: Int { self == .note ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    /// Path of the file, as given to the loader (relative paths stay relative).
    public var file: String
    /// 1-based line in `file`.
    public var line: Int
    public var message: String

    public init(_ severity: Severity, file: String, line: Int, _ message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: severity: message`, the format compilers use, so editors can jump to it.
    public var description: String { "\(file):\(line): \(severity.rawValue): \(message)" }
}

extension Array where Element == Diagnostic {
    public var errors: [Diagnostic] { filter { $0.severity == .error } }
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// The report printed by `cairn content validate` and by `cairn serve` on bad content.
    public func report() -> String {
        let sorted = self.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
        var lines = sorted.map(\.description)
        let errorCount = errors.count
        let warningCount = filter { $0.severity == .warning }.count
        lines.append("\(errorCount) error\(errorCount == 1 ? "" : "s"), \(warningCount) warning\(warningCount == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }
}

/// Collects diagnostics while a course is read.
final class DiagnosticSink {
    private(set) var diagnostics: [Diagnostic] = []

    func error(_ file: String, _ line: Int, _ message: String) {
        diagnostics.append(Diagnostic(.error, file: file, line: line, message))
    }

    func warning(_ file: String, _ line: Int, _ message: String) {
        diagnostics.append(Diagnostic(.warning, file: file, line: line, message))
    }

    func note(_ file: String, _ line: Int, _ message: String) {
        diagnostics.append(Diagnostic(.note, file: file, line: line, message))
    }
}
