// Report: a scenario's results as ordered key/value pairs, printed either as
// a human table (the default) or as one JSON object (--json); plus the
// once-per-second progress line on stderr and stderr diagnostics. It does not
// compute any figure; the scenarios fill it in.
import Foundation

struct Report {
    enum Value {
        case int(Int)
        case double(Double)
        case text(String)
        case bool(Bool)
        case nested(Report)
        case missing  // no measurement (e.g. no --server-pid): JSON null
    }

    private(set) var entries: [(key: String, value: Value)] = []

    mutating func add(_ key: String, _ value: Value) { entries.append((key, value)) }
    mutating func add(_ key: String, _ value: Int) { add(key, .int(value)) }
    mutating func add(_ key: String, _ value: Double?) { add(key, value.map { .double($0) } ?? .missing) }
    mutating func add(_ key: String, _ value: String) { add(key, .text(value)) }

    var json: String {
        "{" + entries.map { "\(Self.quoted($0.key)): \(Self.json($0.value))" }.joined(separator: ", ") + "}"
    }

    /// Two columns, nested reports indented.
    func table(indent: String = "") -> String {
        let width = entries.map(\.key.count).max() ?? 0
        return entries.map { entry -> String in
            let key = indent + entry.key.padding(toLength: width, withPad: " ", startingAt: 0)
            if case .nested(let inner) = entry.value { return "\(key)\n" + inner.table(indent: indent + "  ") }
            return "\(key)  \(Self.human(entry.value))\n"
        }.joined()
    }

    func print(asJSON: Bool) {
        let text = asJSON ? json + "\n" : table()
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private static func json(_ value: Value) -> String {
        switch value {
        case .int(let number): return String(number)
        case .double(let number): return number.isFinite ? String(format: "%.6g", number) : "null"
        case .text(let text): return quoted(text)
        case .bool(let flag): return flag ? "true" : "false"
        case .nested(let report): return report.json
        case .missing: return "null"
        }
    }

    private static func human(_ value: Value) -> String {
        switch value {
        case .int(let number): return String(number)
        case .double(let number): return number >= 100 ? String(format: "%.0f", number) : String(format: "%.3g", number)
        case .text(let text): return text
        case .bool(let flag): return flag ? "yes" : "no"
        case .nested: return ""
        case .missing: return "n/a"
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A status line on stderr at most once per second (long runs show they are alive).
final class Progress {
    private var last: UInt64 = 0

    func tick(_ text: @autoclosure () -> String) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - last >= 1_000_000_000 else { return }
        last = now
        FileHandleOutput.diagnostic(text())
    }
}

enum FileHandleOutput {
    static func diagnostic(_ text: String) {
        FileHandle.standardError.write(Data("tlschat-bench: \(text)\n".utf8))
    }
}
