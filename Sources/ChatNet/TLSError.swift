// TLSError: a TLS failure as readable text, never "error 1".
//
// Built by draining OpenSSL's whole per-thread error queue right after the
// failing call (callers clear it right before), plus the X.509 verification
// result when one is known. When a server certificate does not match the name
// the client expected, it also carries the names the certificate does cover,
// so the user sees both. It holds strings only: no OpenSSL types escape.
internal import CTLSShim

public struct TLSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done, e.g. "handshake" or "loading private key /x/y.key".
    public let operation: String
    /// OpenSSL's reasons, oldest first, e.g. "certificate verify failed".
    public let reasons: [String]
    /// The certificate verification failure, e.g. "certificate has expired", if any.
    public let verifyFailure: String?
    /// On a host name or IP address mismatch: the names the peer certificate covers (its DNS
    /// and IP subject alternative names, as "DNS:x" / "IP:x"), and the name that was expected.
    public let nameMismatch: (certificateNames: [String], expected: String)?

    public init(operation: String, reasons: [String], verifyFailure: String? = nil,
                nameMismatch: (certificateNames: [String], expected: String)? = nil) {
        self.operation = operation
        self.reasons = reasons
        self.verifyFailure = verifyFailure
        self.nameMismatch = nameMismatch
    }

    public static func == (left: TLSError, right: TLSError) -> Bool {
        left.operation == right.operation && left.reasons == right.reasons && left.verifyFailure == right.verifyFailure
            && left.nameMismatch?.certificateNames == right.nameMismatch?.certificateNames
            && left.nameMismatch?.expected == right.nameMismatch?.expected
    }

    public var description: String {
        var text = operation
        text += ": " + (reasons.isEmpty ? "no further detail from OpenSSL" : reasons.joined(separator: "; "))
        if let verifyFailure { text += " (certificate verification: \(verifyFailure))" }
        if let nameMismatch {
            let names = nameMismatch.certificateNames.isEmpty ? "none" : nameMismatch.certificateNames.joined(separator: ", ")
            text += " [certificate names: \(names); expected: \(nameMismatch.expected)]"
        }
        return text
    }

    /// Empties OpenSSL's error queue. Call before every SSL call whose failure you will read.
    static func clearQueue() { ERR_clear_error() }

    /// Drains OpenSSL's error queue into a TLSError.
    static func drain(_ operation: String, verifyFailure: String? = nil) -> TLSError {
        var reasons: [String] = []
        var file: UnsafePointer<CChar>?
        var line: Int32 = 0
        var function: UnsafePointer<CChar>?
        var data: UnsafePointer<CChar>?
        var flags: Int32 = 0
        while true {
            let code = ERR_get_error_all(&file, &line, &function, &data, &flags)
            if code == 0 { break }
            var reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "OpenSSL error \(code)"
            if let data, flags & ERR_TXT_STRING != 0, data.pointee != 0 {
                reason += " (\(String(cString: data)))"
            }
            if reasons.last != reason { reasons.append(reason) }
        }
        return TLSError(operation: operation, reasons: reasons, verifyFailure: verifyFailure)
    }

    /// True when the oldest queued error is OpenSSL 3's "unexpected eof while reading".
    static func queueHoldsUnexpectedEOF() -> Bool {
        let code = ERR_peek_error()
        return code != 0 && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING
    }
}
