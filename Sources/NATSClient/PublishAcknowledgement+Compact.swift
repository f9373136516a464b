// PublishAcknowledgement+Compact: the acknowledgement JetStream sends for
// every publish, read without JSONDecoder when it has its usual small form:
// an object with "stream" (a string without escapes), "seq" (a decimal that
// fits UInt64) and optionally "domain" (a string without escapes) and
// "duplicate" (true or false), in any order, with any JSON whitespace
// between tokens. Anything else (an "error" object, an escape, a key it does
// not know, a repeated key, a number that does not fit) gives nil and the
// caller decodes the reply with JSONDecoder as before, so this only ever
// takes a shortcut, never a different answer. A node of a busy cluster
// receives an acknowledgement per stored batch; JSONDecoder took about 20 µs
// for each. Parsing only.

extension PublishAcknowledgement {
    init(stream: String, sequence: UInt64, duplicate: Bool) {
        (self.stream, self.sequence, self.duplicate) = (stream, sequence, duplicate)
    }

    /// The acknowledgement in `payload` when it has the usual small form, else nil.
    static func compact(_ payload: [UInt8]) -> PublishAcknowledgement? {
        payload.withUnsafeBufferPointer { bytes in
            var reader = CompactReader(bytes: bytes)
            return reader.acknowledgement()
        }
    }
}

/// Reads the one object form `compact` accepts, byte by byte.
private struct CompactReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    mutating func acknowledgement() -> PublishAcknowledgement? {
        var stream: String?, sequence: UInt64?, domain: String?, duplicate: Bool?
        guard take(UInt8(ascii: "{")) else { return nil }
        repeat {
            guard let key = string() else { return nil }
            guard take(UInt8(ascii: ":")) else { return nil }
            switch key {
            case "stream" where stream == nil: stream = string()
            case "seq" where sequence == nil: sequence = number()
            case "domain" where domain == nil: domain = string()
            case "duplicate" where duplicate == nil: duplicate = boolean()
            default: return nil  // unknown (say "error") or repeated: JSONDecoder decides
            }
            guard stream != nil || key != "stream", sequence != nil || key != "seq", domain != nil || key != "domain",
                  duplicate != nil || key != "duplicate" else { return nil }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return nil }
        skipWhitespace()
        guard position == bytes.count, let stream, let sequence else { return nil }
        return PublishAcknowledgement(stream: stream, sequence: sequence, duplicate: duplicate ?? false)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// A string without escapes or control characters (nil otherwise: JSONDecoder handles those).
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
            guard bytes[position] != UInt8(ascii: "\\"), bytes[position] >= 0x20 else { return nil }
            position += 1
        }
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// A non-negative decimal integer that fits UInt64 (no sign, fraction or exponent).
    private mutating func number() -> UInt64? {
        skipWhitespace()
        var value: UInt64 = 0
        let start = position
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            position += 1
        }
        guard position > start, position - start == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) { return nil }
        return value
    }

    private mutating func boolean() -> Bool? {
        skipWhitespace()
        for (word, value) in [("true", true), ("false", false)] {
            let utf8 = Array(word.utf8)
            if bytes.count - position >= utf8.count, bytes[position..<(position + utf8.count)].elementsEqual(utf8) {
                position += utf8.count
                return value
            }
        }
        return nil
    }
}
