// FuzzChecks+ServerCore: the server-core fuzz invariants: several simulated
// clients drive one ChatServerCore through a script taken from the input.
//
// What it does: input byte 0 picks the set-up (bit 0: tiny limits, so room,
// list and name bounds are reached; bits 1-2: starting room #lobby, none or
// #hall), the rest is split at LF into steps;
// a step's first byte is the operation (bits 0-1: client slot 0-3; bits
// 2-4: 0-3 receive the rest as a line, 4 connect, 5 disconnect, 6 line too
// long, 7 toggle whether the link accepts; 0xFF shuts the server down), the
// rest its argument. After every step it checks PROTOCOL.md's promises:
// exactly one OK/ERR per non-blank line (none for a blank one or a gone
// client) and the same one the parser implies; every message is one UTF-8
// line with no forbidden character; "sent N/M" matches the MSG/PRIV events
// actually queued; nothing is sent after close or disconnect; live names are
// unique (ASCII case-insensitive) and a name has no "~" exactly when its
// trust is cert; a certificate name replaces its older holder.
// What it does not do: time (rate limits, idle) or the network layer.
import ChatCore

/// One simulated connection; records what the core queued for it.
final class FuzzLink: ChatSessionLink {
    var messages: [[UInt8]] = []
    var accepting = true
    var closed = false
    var disconnected = false
    var sendsAfterEnd = 0

    func send(_ message: OutboundMessage) -> Bool {
        guard !closed, !disconnected else { sendsAfterEnd += 1; return false }
        guard accepting else { return false }
        messages.append(message.bytes)
        return true
    }

    func closeAfterFlush(_ reason: SessionEndReason) { closed = true }
    /// A simulated STARTTLS handshake never finishes: the session stays frozen, taking nothing.
    func startTLS() { accepting = false }
    var isLive: Bool { !closed && !disconnected }
    var lines: [String] { messages.map { String(decoding: $0.dropLast(), as: UTF8.self) } }
}

struct FuzzClient {
    let link: FuzzLink
    let session: ChatSession
    var name: String
    var trust: String
}

extension FuzzChecks {
    static func checkServerCore(_ data: [UInt8]) throws {
        guard let setup = data.first else { return }
        var limits = ChatLimits()
        if setup & 1 == 1 {
            (limits.maximumRoomsPerClient, limits.maximumRooms, limits.maximumListedItems) = (3, 4, 2)
            (limits.maximumNameLength, limits.maximumRoomNameLength) = (6, 4)
        }
        let lobby = [ChatServerCore.defaultRoom, nil, "#hall", ChatServerCore.defaultRoom][Int(setup >> 1) & 3]
        let core = ChatServerCore(limits: limits, lobby: lobby)
        var clients: [FuzzClient?] = [nil, nil, nil, nil]
        for step in data.dropFirst().split(separator: newline, omittingEmptySubsequences: false) {
            guard let operation = step.first else { continue }
            let slot = Int(operation & 3), argument = Array(step.dropFirst())
            for client in clients.compactMap({ $0 }) { client.link.messages = [] }
            if operation == 0xFF {
                core.shutDown()
                for client in clients.compactMap({ $0 }) where client.link.isLive {
                    try require(client.link.closed, "shutDown left \(client.name) open")
                    try require(!client.link.accepting || client.link.lines == ["NOTICE shutdown server is shutting down"],
                                "shutDown sent \(client.link.lines) to \(client.name)")
                }
            } else {
                switch (operation >> 2) & 7 {
                case 0...3:
                    if clients[slot] == nil { clients[slot] = try connect(core, limits, lobby, [1], clients) }
                    try receive(argument, from: clients[slot]!, core, &clients, slot)
                case 4:
                    if let old = clients[slot], old.link.isLive { core.disconnect(old.session); old.link.disconnected = true }
                    clients[slot] = try connect(core, limits, lobby, argument, clients)
                case 5:
                    if let client = clients[slot] { core.disconnect(client.session); client.link.disconnected = true }
                case 6:
                    if let client = clients[slot] {
                        let live = client.link.isLive
                        core.lineTooLong(from: client.session)
                        if live {
                            try require(client.link.closed && (!client.link.accepting || (client.link.lines.count == 1 &&
                                client.link.lines[0].hasPrefix("ERR LINE_TOO_LONG "))), "lineTooLong sent \(client.link.lines)")
                        }
                    }
                default:
                    clients[slot]?.link.accepting.toggle()
                }
            }
            try checkEveryone(core, clients)
        }
    }

    /// Connects a new client; argument[0]: 0 plain, 1 TLS, else a certificate whose CN is the rest.
    static func connect(_ core: ChatServerCore, _ limits: ChatLimits, _ lobby: String?, _ argument: [UInt8],
                        _ clients: [FuzzClient?]) throws -> FuzzClient {
        let kind = argument.first ?? 1
        let commonName = kind > 1 ? String(decoding: argument.dropFirst(), as: UTF8.self) : nil
        let credentials = ClientCredentials(transport: kind == 0 ? .plain : .tls, certificateCommonName: commonName,
                                            certificateFingerprint: commonName.map { _ in "sha256:" + String(repeating: "ab", count: 32) })
        let link = FuzzLink()
        let session = core.connect(link: link, credentials: credentials)
        let hello = link.lines.first.map(spaceSeparated) ?? []
        try require(hello.count == 7 && hello[0...2] == ["HELLO", "chat/1", "tlschatd"] && hello[6] == (lobby ?? "-"),
                    "greeting was \(link.lines.first ?? "nothing")")
        let certName = commonName.flatMap { isSpecCertificateName($0, limits) ? $0 : nil }
        try require(hello[4] == (certName ?? hello[4]) && (hello[5] == "cert") == (certName != nil),
                    "CN \(String(describing: commonName)) gave name \(hello[4]) trust \(hello[5])")
        if let certName {
            for index in clients.indices {
                guard let other = clients[index], other.link.isLive, other.link !== link, key(other.name) == key(certName) else { continue }
                try require(other.link.closed && (!other.link.accepting || other.link.lines.first?.hasPrefix("NOTICE replaced ") == true),
                            "\(other.name) was not replaced by the new holder of its certificate name")
            }
        }
        return FuzzClient(link: link, session: session, name: hello[4], trust: hello[5])
    }

    static func receive(_ line: [UInt8], from client: FuzzClient, _ core: ChatServerCore,
                        _ clients: inout [FuzzClient?], _ slot: Int) throws {
        let live = client.link.isLive
        core.receive(line: line, from: client.session)
        let everything = clients.compactMap { $0?.link.lines }.joined()
        guard live else { return try require(everything.isEmpty, "a gone client's line caused \(Array(everything))") }
        let replies = client.link.lines.filter { $0.hasPrefix("OK ") || $0 == "OK" || $0.hasPrefix("ERR ") }
        guard let parsed = CommandParser.parse(line) else {
            return try require(replies.isEmpty, "a blank line got \(replies)")
        }
        guard client.link.accepting else { return }
        try require(replies.count == 1, "one command got \(replies.count) replies: \(replies)")
        let reply = replies[0]
        switch parsed {
        case .failure(let error): try require(reply == error.line, "parser said '\(error.line)', core replied '\(reply)'")
        case .success(let command):
            let words = spaceSeparated(reply)
            try require(words.count >= 2 && (words[0] == "ERR" || words[1] == command.verb), "\(command) got '\(reply)'")
            if words[0] == "OK", command == .bye || words[1] == "NICK" {
                if command == .bye { try require(client.link.closed, "OK BYE left the connection open") }
                if words[1] == "NICK" { clients[slot]?.name = words[2] }
            }
            if words[0] == "OK", words[1] == "SAY" || words[1] == "MSG" {
                let counts = words.last!.split(separator: "/").compactMap { Int($0) }
                let delivered = everything.filter { $0.hasPrefix("MSG ") || $0.hasPrefix("PRIV ") }.count
                try require(counts.count == 2 && counts[0] <= counts[1] && counts[0] == delivered,
                            "'\(reply)' but \(delivered) MSG/PRIV events were queued")
            }
        }
    }

    /// Line hygiene for every queued message; names unique and marked by trust.
    static func checkEveryone(_ core: ChatServerCore, _ clients: [FuzzClient?]) throws {
        var names: Set<String> = []
        for client in clients.compactMap({ $0 }) {
            try require(client.link.sendsAfterEnd == 0, "\(client.name) was sent something after close or disconnect")
            for message in client.link.messages {
                try require(message.last == newline && message.filter({ $0 == newline }).count == 1 && isValidUTF8(message),
                            "a message is not exactly one UTF-8 line: \(message)")
                try require(!String(decoding: message, as: UTF8.self).dropLast().unicodeScalars.contains(where: isForbidden),
                            "a message carries a forbidden character: \(message)")
            }
            guard client.link.isLive else { continue }
            try require(names.insert(key(client.name)).inserted, "two live clients are called \(client.name)")
            try require((client.trust == "cert") == !client.name.hasPrefix("~"), "\(client.name) has trust \(client.trust)")
        }
        try require(core.sessionCount == names.count, "the core has \(core.sessionCount) sessions, \(names.count) clients are live")
    }

    /// PROTOCOL.md section 3: 1-max characters of A-Z a-z 0-9 . _ -, starting with a letter or digit.
    static func isSpecCertificateName(_ name: String, _ limits: ChatLimits) -> Bool {
        let bytes = Array(name.utf8)
        func allowed(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
        guard let first = bytes.first, bytes.count <= limits.maximumNameLength, allowed(first),
              first != UInt8(ascii: "."), first != UInt8(ascii: "_"), first != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy(allowed)
    }

    /// The fields of a server line, split on the space byte as PROTOCOL.md
    /// says (String.split would split on Characters: " \u{301}" is one).
    static func spaceSeparated(_ line: String) -> [String] {
        line.utf8.split(separator: space, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// ASCII-only lower-casing, the spec's name comparison.
    static func key(_ name: String) -> String {
        String(decoding: name.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
