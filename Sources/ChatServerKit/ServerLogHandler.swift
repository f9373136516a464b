// ServerLogHandler: tlschatd's swift-log handler. It writes each event to
// standard error as one line, either swift-log's usual text line (it wraps
// StreamLogHandler) or, for log shippers, one JSON object: "time" (UTC, ISO
// 8601 with milliseconds), "level", "label", "message", then the event's
// metadata fields at the top level (a field named like one of those four is
// written as "field.NAME"). Every handler made with the same LogLevelControl
// shares its level, so a reloaded config changes the level of every logger
// copy at once. It never adds content of its own (message contents are never
// logged: the callers make sure of that); it does not rotate or buffer.
import Logging
#if canImport(Glibc)
import Glibc
#endif

public struct ServerLogHandler: LogHandler {
    public enum Format: String, CaseIterable, Sendable {
        case text, json
    }

    public let label: String
    public let format: Format
    public let level: LogLevelControl
    public var metadata: Logger.Metadata = [:]
    private var text: StreamLogHandler

    public init(label: String, format: Format, level: LogLevelControl) {
        self.label = label
        self.format = format
        self.level = level
        text = StreamLogHandler.standardError(label: label)
        text.logLevel = .trace  // the level is checked here, through `level`
    }

    /// Shared by every handler of the same control: setting it on one logger sets it on all.
    public var logLevel: Logger.Level {
        get { level.level }
        set { level.level = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        switch format {
        case .text:
            var forwarded = event
            if !metadata.isEmpty { forwarded.metadata = metadata.merging(event.metadata ?? [:]) { $1 } }
            text.log(event: forwarded)
        case .json:
            let fields = metadata.merging(event.metadata ?? [:]) { $1 }
            Self.write(Self.jsonLine(time: Self.timestamp(), level: event.level, label: label,
                                     message: "\(event.message)", metadata: fields))
        }
    }

    /// One JSON object and a newline.
    static func jsonLine(time: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "{\"time\":\(JSONText.quoted(time)),\"level\":\(JSONText.quoted(level.rawValue)),"
        line += "\"label\":\(JSONText.quoted(label)),\"message\":\(JSONText.quoted(message))"
        for key in metadata.keys.sorted() {
            let name = ["time", "level", "label", "message"].contains(key) ? "field." + key : key
            line += ",\(JSONText.quoted(name)):\(JSONText.value(metadata[key]!))"
        }
        return line + "}\n"
    }

    /// Now as 2026-12-06T10:48:42.123Z.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let milliseconds = now.tv_nsec / 1_000_000
        let base = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return base + "." + String(String(milliseconds + 1000).dropFirst()) + "Z"
    }

    /// The whole line in one write(2), so lines from one process never interleave.
    private static func write(_ line: String) {
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

/// The level every ServerLogHandler made with it uses (the event loop's thread reads and sets it).
public final class LogLevelControl: @unchecked Sendable {
    public var level: Logger.Level
    public init(_ level: Logger.Level = .info) { self.level = level }
}

/// JSON text for log lines: strings escaped per RFC 8259, metadata values as strings, arrays or objects.
enum JSONText {
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .array(let items): "[" + items.map { Self.value($0) }.joined(separator: ",") + "]"
        case .dictionary(let fields):
            "{" + fields.keys.sorted().map { quoted($0) + ":" + Self.value(fields[$0]!) }.joined(separator: ",") + "}"
        }
    }
}
