// RemoteInputRules: what the chat core accepts from other nodes of a cluster
// (presence events, room and private messages, stored entries) before any of
// it reaches a client line: names and rooms as a client could have chosen
// them (the protocol's widest limits, so nodes with different options still
// see each other), an anonymous name exactly when the trust is not `cert`,
// and texts without the characters chat/1 forbids (a line break in a text
// from NATS would otherwise start a forged line at every client). Only holders
// of the cluster's credentials can publish, so a refusal means a broken or
// hostile node: the caller drops the event and logs it. Pure checks.
public enum RemoteInputRules {
    private static let widest = NameRules(limits: ChatLimits())
    /// The longest text accepted from another node, in bytes (a line is at most 1 MiB anywhere).
    public static let maximumTextBytes = 1 << 20

    /// A user name with the trust it claims: a certificate name for `cert`, `~name` otherwise.
    public static func isValidUser(_ name: String, trust: Trust) -> Bool {
        trust == .cert ? widest.isValidCertificateName(name) : widest.isValidAnonymousName(name)
    }

    /// `isValidUser` over the name's UTF-8 bytes (a room message from the feed).
    public static func isValidUser(bytes: Slice<UnsafeBufferPointer<UInt8>>, trust: Trust) -> Bool {
        trust == .cert ? widest.isValidCertificateName(bytes: bytes) : widest.isValidAnonymousName(bytes: bytes)
    }

    /// A user name of either kind.
    public static func isValidName(_ name: String) -> Bool {
        widest.isValidCertificateName(name) || widest.isValidAnonymousName(name)
    }

    /// `isValidName` over the name's UTF-8 bytes.
    public static func isValidName(bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        widest.isValidCertificateName(bytes: bytes) || widest.isValidAnonymousName(bytes: bytes)
    }

    /// A room name in its canonical (lower-cased) form.
    public static func isValidRoom(_ room: String) -> Bool { widest.roomName(room) == room }

    /// A message text: not empty, bounded, nothing chat/1 forbids (control characters,
    /// line and paragraph separators, bidi controls).
    public static func isValidText(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in  // no copy
            !bytes.isEmpty && bytes.count <= maximumTextBytes && CommandParser.firstForbidden(in: bytes) == nil
        }
    }

    /// `isValidText` over the text's bytes, which must also be valid UTF-8 (a String always
    /// is; bytes from the feed are checked here, as the server checks a client's line).
    public static func isValidText(bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let text = UnsafeBufferPointer(rebasing: bytes)
        guard !text.isEmpty, text.count <= maximumTextBytes, CommandParser.firstForbidden(in: text) == nil else { return false }
        return (try? UTF8Span(validating: text.span)) != nil
    }
}
