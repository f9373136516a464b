// IRCLinePolicy: the size rules for lines an IRC client sends (README "IRC
// clients"). The part of a line after its tags may hold at most 510 bytes
// (512 with CR LF, RFC 1459); a longer one is answered with 417
// ERR_INPUTTOOLONG and ignored. The tags may add up to 4094 bytes (the IRCv3
// message-tags limit for clients, with `@` and its space); a line longer than
// both together (4608 bytes without CR LF) ends the connection, as an
// over-long chat/1 line does, since the framer must stay bounded. Client tags
// are accepted and ignored (this server relays none). Pure.

public enum IRCLinePolicy {
    public static let maximumBodyBytes = 510
    public static let maximumTagBytes = 4096
    /// What the server layer's framer allows before closing the connection.
    public static let maximumLineBytes = maximumBodyBytes + maximumTagBytes + 2

    /// Bytes of `line` after its tags section (`@...` and the spaces after it).
    public static func bodyLength(of line: [UInt8]) -> Int {
        guard line.first == UInt8(ascii: "@") else { return line.count }
        guard var index = line.firstIndex(of: UInt8(ascii: " ")) else { return 0 }
        while index < line.count, line[index] == UInt8(ascii: " ") { index += 1 }
        return line.count - index
    }
}
