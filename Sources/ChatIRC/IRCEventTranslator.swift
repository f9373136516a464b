// IRCEventTranslator: chat/1 room events as IRC lines, the same for every IRC
// recipient with the same tag capabilities: `MSG ROOM FROM TRUST TEXT` is a
// PRIVMSG to the channel (a `/me ` text a CTCP ACTION; a text too long for one
// 512-byte IRC line is split over several), `JOINED` a JOIN, `PARTED` a PART
// (reason `part`) or a QUIT (reason `quit`), `RENAMED` a NICK. The prefix is
// `nick!TRUST@host`, so every line shows the sender's trust; with account-tag
// a `cert` sender carries `account=NAME`, with server-time every line carries
// `time=`. Lines that need the recipient's own nick (PRIV, NOTICE, numerics)
// are IRCSession's. IRCBroadcastCache keeps the last translation, so a room
// message to many IRC members is translated once per tag variant, not once
// per member. Pure, apart from the clock the caller passes.
import ChatCore

public enum IRCEventTranslator {
    /// Tag variants: bit 0 server-time, bit 1 account-tag.
    public static let variants = 4

    /// The IRC lines (each ending CR LF) for a chat/1 room event, or nil when `line` is not one.
    public static func roomEvent(_ line: String, variant: Int, info: IRCServerInfo, milliseconds: Int64) -> String? {
        let words = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
        guard let verb = words.first else { return nil }
        func prefix(_ name: Substring, _ trust: Substring) -> String { "\(IRCNicks.nick(forName: String(name)))!\(trust)@\(info.userHost)" }
        func tags(_ name: Substring, _ trust: Substring) -> [(key: String, value: String)] {
            var tags: [(key: String, value: String)] = []
            if variant & 1 != 0 { tags.append(("time", IRCTime.tagValue(milliseconds: milliseconds))) }
            if variant & 2 != 0, trust == "cert" { tags.append(("account", String(name))) }
            return tags
        }
        switch verb {
        case "MSG" where words.count == 5:
            return privmsgLines(tags: tags(words[2], words[3]), prefix: prefix(words[2], words[3]), target: String(words[1]),
                                text: String(words[4]))
        case "JOINED" where words.count >= 4:
            return IRCMessage(tags: tags(words[2], words[3]), prefix: prefix(words[2], words[3]), command: "JOIN",
                              parameters: [String(words[1])]).encoded() + "\r\n"
        case "PARTED" where words.count >= 5 && words[4] == "quit":
            // A user who disconnected leaves every room at once: one IRC QUIT (IRCSession
            // sends it once per recipient, however many rooms they shared).
            return IRCMessage(tags: tags(words[2], words[3]), prefix: prefix(words[2], words[3]), command: "QUIT",
                              parameters: ["quit"], forceTrailing: true).encoded() + "\r\n"
        case "PARTED" where words.count >= 5:
            return IRCMessage(tags: tags(words[2], words[3]), prefix: prefix(words[2], words[3]), command: "PART",
                              parameters: [String(words[1]), String(words[4])], forceTrailing: true).encoded() + "\r\n"
        case "RENAMED" where words.count >= 4:
            return IRCMessage(tags: tags(words[1], words[3]), prefix: prefix(words[1], words[3]), command: "NICK",
                              parameters: [IRCNicks.nick(forName: String(words[2]))], forceTrailing: true).encoded() + "\r\n"
        default:
            return nil
        }
    }

    /// The common room event, `MSG ROOM FROM TRUST TEXT` with a text that fits one IRC line
    /// and is no `/me`, translated on its bytes (the same result as `roomEvent`, without
    /// building strings); nil for anything else, which `roomEvent` then handles.
    public static func roomMessageBytes(_ line: ArraySlice<UInt8>, variant: Int, userHost: String, milliseconds: Int64) -> [UInt8]? {
        let space = UInt8(ascii: " ")
        guard line.starts(with: msgPrefix) else { return nil }
        var cuts: [Int] = []
        var index = line.startIndex + 4
        while cuts.count < 3, let next = line[index...].firstIndex(of: space) {
            cuts.append(next)
            index = next + 1
        }
        guard cuts.count == 3 else { return nil }
        let room = line[(line.startIndex + 4)..<cuts[0]], from = line[(cuts[0] + 1)..<cuts[1]]
        let trust = line[(cuts[1] + 1)..<cuts[2]], text = line[(cuts[2] + 1)...]
        guard !text.starts(with: actionPrefix) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(line.count + 64)
        if variant & 1 != 0 { out += Array("@time=\(IRCTime.tagValue(milliseconds: milliseconds))".utf8) }
        if variant & 2 != 0, trust.elementsEqual("cert".utf8) {
            out += Array((out.isEmpty ? "@account=" : ";account=").utf8)
            out += from
        }
        if !out.isEmpty { out.append(space) }
        let headerStart = out.count
        out.append(UInt8(ascii: ":"))
        for (offset, byte) in from.enumerated() {
            out.append(offset == 0 && byte == UInt8(ascii: "~") ? UInt8(ascii: "^") : byte == UInt8(ascii: ".") ? UInt8(ascii: "`") : byte)
        }
        out.append(UInt8(ascii: "!"))
        out += trust
        out.append(UInt8(ascii: "@"))
        out += Array(userHost.utf8)
        out += privmsgWord
        out += room
        out += [space, UInt8(ascii: ":")]
        guard out.count - headerStart + text.count <= IRCLinePolicy.maximumBodyBytes else { return nil }
        out += text
        out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        return out
    }

    private static let msgPrefix = Array("MSG ".utf8), actionPrefix = Array("/me ".utf8), privmsgWord = Array(" PRIVMSG ".utf8)

    /// PRIVMSG lines carrying chat/1 `text`, each within 512 bytes without its tags.
    public static func privmsgLines(tags: [(key: String, value: String)], prefix: String, target: String, text: String) -> String {
        let isAction = text.hasPrefix("/me ")
        let body = isAction ? String(text.dropFirst(4)) : text
        let overhead = ":\(prefix) PRIVMSG \(target) :".utf8.count + (isAction ? 9 : 0)
        var lines = ""
        for piece in IRCText.split(body, maximumBytes: max(16, IRCLinePolicy.maximumBodyBytes - overhead)) {
            let shown = isAction ? "\u{1}ACTION \(piece)\u{1}" : piece
            lines += IRCMessage(tags: tags, prefix: prefix, command: "PRIVMSG", parameters: [target, shown], forceTrailing: true).encoded() + "\r\n"
        }
        return lines
    }
}

/// The last room event translated for IRC, per tag variant (see IRCEventTranslator). One
/// per server; it holds the source message, so an identical address never means a new message.
public final class IRCBroadcastCache {
    private var source: OutboundMessage?
    private var translations: [OutboundMessage?] = Array(repeating: nil, count: IRCEventTranslator.variants)
    private var milliseconds: Int64 = 0
    /// The name in the current source when it is a `PARTED ... quit` (it becomes one IRC QUIT).
    private(set) var quitter: String?

    public init() {}

    /// NAME of a `PARTED ROOM NAME TRUST quit` line, else nil.
    private static func quitter(in bytes: [UInt8]) -> String? {
        guard bytes.starts(with: Array("PARTED ".utf8)), bytes.suffix(6).elementsEqual(" quit\n".utf8) else { return nil }
        let words = bytes.split(separator: UInt8(ascii: " "), maxSplits: 3)
        return words.count == 4 ? String(decoding: words[2], as: UTF8.self) : nil
    }

    /// The translation of `message` made already for `variant`, if any (no allocation, no parsing).
    @inline(__always)
    func hit(_ message: OutboundMessage, variant: Int) -> OutboundMessage? {
        source === message ? translations[variant] : nil
    }

    /// The shared IRC form of room event `message`, or nil when it is not a room event.
    func translation(of message: OutboundMessage, variant: Int, info: IRCServerInfo, clock: () -> Int64) -> OutboundMessage? {
        if source !== message {
            source = message
            milliseconds = clock()
            for index in translations.indices { translations[index] = nil }
            quitter = Self.quitter(in: message.bytes)
        }
        if let made = translations[variant] { return made }
        if let fast = IRCEventTranslator.roomMessageBytes(message.bytes.dropLast(), variant: variant, userHost: info.userHost,
                                                         milliseconds: milliseconds) {
            let made = OutboundMessage(ircLines: String(decoding: fast, as: UTF8.self), broadcast: true)
            translations[variant] = made
            return made
        }
        let line = String(decoding: message.bytes.dropLast(), as: UTF8.self)
        guard let lines = IRCEventTranslator.roomEvent(line, variant: variant, info: info, milliseconds: milliseconds) else { return nil }
        let made = OutboundMessage(ircLines: lines, broadcast: true)
        translations[variant] = made
        return made
    }
}

extension OutboundMessage {
    /// A message of complete IRC lines (each ending CR LF), as they are.
    convenience init(ircLines lines: String, broadcast: Bool = false) {
        // The designated init adds the final LF; "\r\n" is one Character, so drop by bytes.
        self.init(line: String(decoding: lines.utf8.dropLast(), as: UTF8.self), broadcast: broadcast)
    }
}
