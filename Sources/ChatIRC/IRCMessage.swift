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
    /// tags or a prefix) or that is not valid UTF-8. Works on the bytes: every separator
    /// is ASCII, which never occurs inside a multi-byte UTF-8 sequence.
    public static func parse(_ bytes: [UInt8]) -> IRCMessage? {
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        let space = UInt8(ascii: " "), colon = UInt8(ascii: ":")
        var index = 0
        func skipSpaces() { while index < bytes.count, bytes[index] == space { index += 1 } }
        func wordEnd() -> Int { var end = index; while end < bytes.count, bytes[end] != space { end += 1 }; return end }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        var message = IRCMessage(command: "")
        if bytes.first == UInt8(ascii: "@") {
            let end = wordEnd()
            message.tags = parseTags(Substring(text(1..<end)))
            index = end
            skipSpaces()
        }
        if index < bytes.count, bytes[index] == colon {
            let end = wordEnd()
            message.prefix = text(index + 1..<end)
            index = end
            skipSpaces()
        }
        let commandEnd = wordEnd()
        guard commandEnd > index else { return nil }
        message.command = String(decoding: bytes[index..<commandEnd].map { (0x61...0x7A).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
        index = commandEnd
        while true {
            skipSpaces()
            if index >= bytes.count { break }
            if bytes[index] == colon {
                message.parameters.append(text(index + 1..<bytes.count))
                break
            }
            let end = wordEnd()
            message.parameters.append(text(index..<end))
            index = end
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
