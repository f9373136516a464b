// IRCMessage: one IRC protocol line as a value, its parser and its encoder
// (RFC 1459/2812 framing with IRCv3 message tags). A line is
// `[@tags ][:prefix ]COMMAND[ params...][ :trailing]`. The parser takes the
// bytes of one line without its CRLF (the framer removed it) and never fails
// on well-formed UTF-8 text: it only splits; what a command means is
// IRCSession's business. Tag values are unescaped on input and escaped on
// output (`\:` `\s` `\\` `\r` `\n`). It does not validate nicks or channels,
// enforce lengths (IRCLinePolicy does) or strip formatting (IRCText does). Pure.

public struct IRCMessage: Equatable, Sendable {
    /// Tags in the order given (`@time=...;account=...`); a tag without value has "".
    public var tags: [(key: String, value: String)]
    public var prefix: String?
    /// Upper-cased for words; numerics stay as their three digits.
    public var command: String
    public var parameters: [String]
    /// Write the last parameter as a trailing (`:`) one even when it needs none.
    public var forceTrailing = false

    public init(tags: [(key: String, value: String)] = [], prefix: String? = nil, command: String, parameters: [String] = [],
                forceTrailing: Bool = false) {
        self.forceTrailing = forceTrailing
        self.tags = tags
        self.prefix = prefix
        self.command = command
        self.parameters = parameters
    }

    public static func == (lhs: IRCMessage, rhs: IRCMessage) -> Bool {
        lhs.prefix == rhs.prefix && lhs.command == rhs.command && lhs.parameters == rhs.parameters
            && lhs.tags.map(\.key) == rhs.tags.map(\.key) && lhs.tags.map(\.value) == rhs.tags.map(\.value)
    }

    /// Parses one line (without CR LF). Nil for a line with no command (empty, only
    /// tags or a prefix) or that is not valid UTF-8.
    public static func parse(_ bytes: [UInt8]) -> IRCMessage? {
        guard let line = String(validating: bytes, as: UTF8.self) else { return nil }
        var rest = Substring(line)
        var message = IRCMessage(command: "")
        if rest.hasPrefix("@") {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            message.tags = parseTags(rest[rest.index(after: rest.startIndex)..<end])
            rest = rest[end...].drop(while: { $0 == " " })
        }
        if rest.hasPrefix(":") {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            message.prefix = String(rest[rest.index(after: rest.startIndex)..<end])
            rest = rest[end...].drop(while: { $0 == " " })
        }
        let commandEnd = rest.firstIndex(of: " ") ?? rest.endIndex
        guard commandEnd > rest.startIndex else { return nil }
        message.command = String(rest[..<commandEnd]).uppercased()
        rest = rest[commandEnd...]
        while true {
            rest = rest.drop(while: { $0 == " " })
            if rest.isEmpty { break }
            if rest.hasPrefix(":") {
                message.parameters.append(String(rest.dropFirst()))
                break
            }
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            message.parameters.append(String(rest[..<end]))
            rest = rest[end...]
        }
        return message
    }

    private static func parseTags(_ text: Substring) -> [(key: String, value: String)] {
        text.split(separator: ";", omittingEmptySubsequences: true).map { item in
            guard let equals = item.firstIndex(of: "=") else { return (String(item), "") }
            return (String(item[..<equals]), unescapeTagValue(item[item.index(after: equals)...]))
        }
    }

    static func unescapeTagValue(_ text: Substring) -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case ":": out.append(";")
                case "s": out.append(" ")
                case "r": out.append("\r")
                case "n": out.append("\n")
                default: out.append(character)  // "\\" and any other escaped character stand for themselves
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func escapeTagValue(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case ";": out += "\\:"
            case " ": out += "\\s"
            case "\\": out += "\\\\"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// The line without its CR LF. The last parameter is written as a trailing (`:`) when
    /// it is empty, has a space or starts with `:`; always, when `forceTrailing` is set.
    public func encoded() -> String {
        var line = ""
        if !tags.isEmpty {
            line = "@" + tags.map { $0.value.isEmpty ? $0.key : "\($0.key)=\(Self.escapeTagValue($0.value))" }.joined(separator: ";") + " "
        }
        if let prefix { line += ":\(prefix) " }
        line += command
        for (index, parameter) in parameters.enumerated() {
            let isLast = index == parameters.count - 1
            if isLast && (forceTrailing || parameter.isEmpty || parameter.contains(" ") || parameter.hasPrefix(":")) {
                line += " :" + parameter
            } else {
                line += " " + parameter
            }
        }
        return line
    }

    /// The value of tag `key`, if present.
    public func tag(_ key: String) -> String? { tags.first { $0.key == key }?.value }
}
