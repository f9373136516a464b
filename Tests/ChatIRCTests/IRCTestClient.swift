// IRCTestClient: an IRCSession on a real ChatServerCore with a recording
// transport, fed the way the server layer feeds it (bytes framed by a
// LineFramer, one byte at a time), and ChatUser, a chat/1 session on the same
// core, so tests see both sides of the edge without a network.
import ChatCore
import ChatIRC

final class RecordingTransport: IRCTransport {
    var lines: [String] = []
    /// Every message written, as written (a shared broadcast is the same object for all).
    var messages: [OutboundMessage] = []
    var closed = false
    var registeredSession: ChatSession?
    var outputRoom: Int { Int.max }
    func write(_ message: OutboundMessage) -> Bool {
        guard !closed else { return false }
        messages.append(message)
        let bytes = message.bytes
        precondition(bytes.suffix(2) == [13, 10], "IRC lines end CR LF: \(message.text)")
        for line in bytes.split(separator: 10) {
            precondition(line.last == 13 && !line.dropLast().contains(13), "one CR, at the end: \(message.text)")
            lines.append(String(decoding: line.dropLast(), as: UTF8.self))
        }
        return true
    }
    func closeAfterFlush(_ reason: SessionEndReason?) { closed = true }
    func registered(_ session: ChatSession) { registeredSession = session }
    func sessionRenamed(from oldName: String, to newName: String) {}
}

final class IRCTestClient {
    let transport = RecordingTransport()
    let irc: IRCSession
    var framer = LineFramer(maximumLineLength: IRCLinePolicy.maximumLineBytes)
    static let fixedTime: Int64 = 1_796_000_000_123  // 2026-11-29T...

    init(_ core: ChatServerCore, cert: String? = nil, transport kind: Transport = .tls, cache: IRCBroadcastCache = IRCBroadcastCache()) {
        let credentials = ClientCredentials(transport: kind, certificateCommonName: cert,
                                            certificateFingerprint: cert.map { _ in "sha256:00ff" })
        irc = IRCSession(core: core, info: IRCServerInfo(limits: core.limits), credentials: credentials, cache: cache,
                         transport: transport, clock: { IRCTestClient.fixedTime })
    }

    /// Sends `text` (lines joined with CR LF) one byte at a time; returns what came back.
    @discardableResult
    func send(_ text: String) -> [String] {
        _ = take()
        for byte in Array((text + "\r\n").utf8) {
            for event in [byte].withUnsafeBytes({ framer.feed($0) }) {
                switch event {
                case .line(let line): if !line.isEmpty { irc.receive(line: line) }
                case .tooLong: irc.lineTooLong()
                }
            }
        }
        return take()
    }

    func take() -> [String] { defer { transport.lines = [] }; return transport.lines }

    /// CAP LS 302, NICK, USER, CAP END: registered; returns the lines of the whole exchange.
    @discardableResult
    func register(nick: String = "carol", caps: String? = nil) -> [String] {
        var seen = send("CAP LS 302")
        if let caps { seen += send("CAP REQ :\(caps)") }
        seen += send("NICK \(nick)")
        seen += send("USER u 0 * :Real Name")
        seen += send("CAP END")
        return seen
    }
}

/// A chat/1 user on the same core.
final class ChatUser: ChatSessionLink {
    var lines: [String] = []
    var session: ChatSession!
    let core: ChatServerCore
    init(_ core: ChatServerCore, cert: String? = nil) {
        self.core = core
        session = core.connect(link: self, credentials: ClientCredentials(transport: .tls, certificateCommonName: cert,
                                                                          certificateFingerprint: cert.map { _ in "sha256:ab" }))
    }
    func send(_ message: OutboundMessage) -> Bool { lines.append(String(message.text.dropLast())); return true }
    func closeAfterFlush(_ reason: SessionEndReason) {}
    @discardableResult
    func send(_ line: String) -> [String] {
        _ = take()
        core.receive(line: Array(line.utf8), from: session)
        return take()
    }
    func take() -> [String] { defer { lines = [] }; return lines }
}

extension Array where Element == String {
    /// The numerics (or commands) of these lines: the second word, or the first after tags.
    var commands: [String] {
        map { line in
            let words = line.split(separator: " ")
            let start = words.first?.hasPrefix("@") == true ? 1 : 0
            let first = words.count > start ? words[start] : ""
            return first.hasPrefix(":") && words.count > start + 1 ? String(words[start + 1]) : String(first)
        }
    }
}
