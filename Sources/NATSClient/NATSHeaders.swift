// NATSHeaders: the header block of an HPUB/HMSG message: the "NATS/1.0" version
// line (with an optional status code and description, e.g. "503" for "no
// responders"), then "Name: Value" lines, then an empty line.
//
// Parses a received block and encodes one to send. Names keep their case and
// are compared exactly (NATS headers are case-sensitive); a name may repeat.
// It does not decide what any header means; the client and the JetStream layer do.

public struct NATSHeaders: Sendable, Equatable {
    /// The status code of the version line (e.g. 503, 404, 408), or nil.
    public var status: Int?
    /// The text after the status code, e.g. "No Responders".
    public var statusDescription: String?
    /// Header fields in the order received or added.
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        for (name, value) in fields { append(name, value) }
    }

    public static func == (lhs: NATSHeaders, rhs: NATSHeaders) -> Bool {
        lhs.status == rhs.status && lhs.statusDescription == rhs.statusDescription
            && lhs.fields.map { "\($0.name)\u{0}\($0.value)" } == rhs.fields.map { "\($0.name)\u{0}\($0.value)" }
    }

    /// Adds a field (keeping existing values of the same name).
    public mutating func append(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every value of `name` with `value`.
    public mutating func set(_ name: String, _ value: String) {
        fields.removeAll { $0.name == name }
        fields.append((name, value))
    }

    /// The first value of `name` (exact, case-sensitive match), or nil.
    public subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// All values of `name`.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// Whether the block says "no responders" (status 503 on a reply to a request).
    public var isNoResponders: Bool { status == 503 }

    // MARK: Wire format

    /// The block as sent in HPUB: version line, fields, empty line. Names and values must not
    /// contain CR or LF, and names no colon or space (checked by `validate()`).
    public func encoded() -> [UInt8] {
        var text = "NATS/1.0\r\n"
        for field in fields { text += "\(field.name): \(field.value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Refuses names and values that would break the framing of the block.
    public func validate() throws(NATSError) {
        for field in fields {
            if field.name.isEmpty || field.name.utf8.contains(where: { $0 <= 32 || $0 == 58 || $0 == 127 }) {
                throw .invalidHeader("header name '\(field.name)' is empty or contains a space, colon or control character")
            }
            if field.value.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                throw .invalidHeader("the value of header '\(field.name)' contains CR or LF")
            }
        }
    }

    /// Parses a received block (`bytes` is exactly the header part of an HMSG).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(NATSProtocolError) -> NATSHeaders {
        // Byte by byte (every JetStream delivery carries headers; Foundation's string search
        // was most of a cluster node's CPU): lines end in CR LF, the block in an empty line.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex, index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 13, index + 1 < bytes.endIndex, bytes[index + 1] == 10 {
                lines.append(bytes[lineStart..<index])
                index += 2
                lineStart = index
            } else {
                index += 1
            }
        }
        guard lineStart == bytes.endIndex, lines.count >= 2, lines.last!.isEmpty else {
            throw .malformedHeaders("header block does not end with an empty line")
        }
        lines.removeLast()
        guard let versionLine = String(validating: lines.removeFirst(), as: UTF8.self) else {
            throw .malformedHeaders("header block is not valid UTF-8")
        }
        guard versionLine.hasPrefix("NATS/1.0") else {
            throw .malformedHeaders("header block does not start with NATS/1.0: '\(versionLine.prefix(40))'")
        }
        var headers = NATSHeaders()
        let statusPart = versionLine.dropFirst("NATS/1.0".count).drop { $0 == " " }
        if !statusPart.isEmpty {
            let codeText = statusPart.prefix { $0 != " " }
            guard codeText.count == 3, let code = Int(codeText) else {
                throw .malformedHeaders("bad status in header version line: '\(versionLine.prefix(40))'")
            }
            headers.status = code
            let description = statusPart.dropFirst(3).drop { $0 == " " }
            if !description.isEmpty { headers.statusDescription = String(description) }
        }
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon != line.startIndex else {
                let shown = String(decoding: line.prefix(40), as: UTF8.self)
                throw .malformedHeaders("header line without a name and colon: '\(shown)'")
            }
            var valueStart = colon + 1
            while valueStart < line.endIndex, line[valueStart] == 32 || line[valueStart] == 9 { valueStart += 1 }
            guard let name = String(validating: line[..<colon], as: UTF8.self),
                  let value = String(validating: line[valueStart...], as: UTF8.self) else {
                throw .malformedHeaders("header block is not valid UTF-8")
            }
            headers.append(name, value)
        }
        return headers
    }
}
