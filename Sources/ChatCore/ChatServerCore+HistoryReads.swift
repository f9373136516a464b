// ChatServerCore+HistoryReads: reading history back (PROTOCOL.md section 11):
// the HISTORY command, the past messages a `join-history` session gets on
// JOIN, the `HIST` line they are sent as, and the history capabilities of
// CAP LS / CAP REQ. A read is bounded (at most `maximumHistoryLimit` rows a
// request) and may complete later (a networked store): the session waits for
// it (`awaitsStore`, its later input held), then gets the HIST lines and its
// one reply, or nothing if it ended meanwhile. A JOIN with join-history joins
// when its read completes, after checking the join again, so the HIST lines
// and `OK JOIN` come before any live event of the room. Pure apart from the store.

extension ChatServerCore {
    /// `HISTORY TARGET [BEFORE ID | AFTER ID] [LIMIT N]`: HIST lines, oldest first, then
    /// `OK HISTORY TARGET COUNT [more]`.
    func readHistory(_ target: String, _ range: HistoryRange, limit: Int?, for session: ChatSession) -> Result<String, CommandError> {
        guard let history else { return .failure(CommandError(.noHistory, "this server keeps no history")) }
        let count = min(max(limit ?? Self.defaultHistoryLimit, 1), Self.maximumHistoryLimit)
        let scope: HistoryScope
        let shown: String
        if target.hasPrefix("#") {
            switch validRoom(target) {
            case .failure(let error): return .failure(error)
            case .success(let room):
                guard session.rooms.contains(room) else { return .failure(CommandError(.notInRoom, "join \(room) to read its history")) }
                scope = .room(room)
                shown = room
            }
        } else {
            guard session.trust == .cert else {
                return .failure(CommandError(.notAllowed, "private history is kept only between certificate users"))
            }
            guard rules.certificateName(target) != nil else { return .failure(CommandError(.badArguments, "no user name '\(target)'")) }
            scope = .between(session.name, target)
            shown = target
        }
        // A client that is not reading what it asked for gets nothing more read for it (a
        // flood of HISTORY would otherwise cost the loop reads whose lines cannot be queued).
        guard session.link.outputRoom >= Self.minimumOutputRoomForHistory else {
            return .success("\(shown) 0 more")
        }
        session.awaitsStore = true
        history.messages(in: scope, range, limit: count + 1) { [self] result in
            if case .failure(let error) = result { historyFailed?(error) }
            storeAnswered(session) {
                switch result {
                case .failure:
                    session.send(CommandError(.historyFailed, "history cannot be read right now; try again later").line)
                case .success(var entries):
                    var more = entries.count > count
                    if more {
                        if case .after = range { entries.removeLast() } else { entries.removeFirst() }
                    }
                    var lines = entries.map { historyLine($0, for: session) }
                    if case .after = range { more = fitToOutputRoom(&lines, of: session, keepingNewest: false) || more } else {
                        more = fitToOutputRoom(&lines, of: session, keepingNewest: true) || more
                    }
                    for line in lines { session.send(line) }
                    session.send("OK HISTORY \(shown) \(lines.count)\(more ? " more" : "")")
                }
            }
        }
        return .success(Self.replyAfterCommit)
    }

    /// JOIN of a room `session` is not in yet. A session that enabled join-history first
    /// reads the room's last `historyOnJoin` messages and joins when the read completes
    /// (checking the join again then: things may have changed), so its HIST lines and
    /// `OK JOIN` come before any live event of the room. A read failure sends no HIST
    /// lines. If messages of the room were delivered during the read and the read does
    /// not have them (a store whose reads lag its commits), it reads again (`attempts`),
    /// so nothing falls between history and live delivery.
    func joinWithHistory(_ room: String, _ session: ChatSession, attempts: Int = 3) -> Result<String, CommandError> {
        guard session.wantsJoinHistory, historyOnJoin > 0, let history else { return completeJoin(room, session) }
        session.awaitsStore = true
        let newestBefore = rooms[room]?.newestID ?? 0
        history.messages(in: .room(room), .latest, limit: min(historyOnJoin, Self.maximumHistoryLimit)) { [self] result in
            if case .success(let entries) = result, attempts > 1, let newest = rooms[room]?.newestID,
               newest > max(newestBefore, entries.last?.id ?? 0), !session.isGone {
                _ = joinWithHistory(room, session, attempts: attempts - 1)  // still awaitsStore
                return
            }
            if case .failure(let error) = result { historyFailed?(error) }
            storeAnswered(session) {
                let wasMember = session.rooms.contains(room)  // joined meanwhile by another session of the user
                switch completeJoin(room, session) {
                case .failure(let error): session.send(error.line)
                case .success(let details):
                    if case .success(let entries) = result, !wasMember {
                        var lines = entries.map { historyLine($0, for: session) }
                        _ = fitToOutputRoom(&lines, of: session, keepingNewest: true)
                        for line in lines { session.send(line) }
                    }
                    session.send("OK JOIN \(details)")
                }
            }
        }
        return .success(Self.replyAfterCommit)
    }

    /// Below this much room in its output queue, a session's HISTORY reads nothing.
    static let minimumOutputRoomForHistory = 16 * 1024

    /// Cuts `lines` to at most half the room left in the session's output queue (and
    /// 256 KiB), so a long reply never gets its reader closed as a slow one: keeps the
    /// newest lines (paging back) or the oldest (catching up). True when it cut any.
    func fitToOutputRoom(_ lines: inout [String], of session: ChatSession, keepingNewest: Bool) -> Bool {
        var budget = min(session.link.outputRoom / 2, 256 * 1024)
        var kept = 0
        for line in keepingNewest ? lines.reversed() : lines {
            budget -= line.utf8.count + 1
            if budget < 0 { break }
            kept += 1
        }
        guard kept < lines.count else { return false }
        lines = keepingNewest ? Array(lines.suffix(kept)) : Array(lines.prefix(kept))
        return true
    }

    /// `HIST ID TIME TARGET FROM TRUST TEXT`: TARGET is the room, or for a private message
    /// the other user of the conversation as `session` sees it.
    func historyLine(_ entry: HistoryEntry, for session: ChatSession) -> String {
        let target: String
        switch entry.scope {
        case .room(let room): target = room
        case .conversation:
            let mine = NameRules.key(session.name) == NameRules.key(entry.sender)
            target = mine ? (entry.recipient ?? entry.sender) : entry.sender
        }
        return "HIST \(entry.id) \(HistoryTime.iso8601(milliseconds: entry.time)) \(target) \(entry.sender) \(entry.trust.rawValue) \(entry.text)"
    }

    /// The CAP LS tokens history adds (none when no history is kept).
    var historyCapabilityTokens: String {
        history == nil ? "" : " history=\(Self.maximumHistoryLimit) join-history=\(historyOnJoin)"
    }

    /// CAP REQ: enables every named capability for `session`, or none. Returns the
    /// first name it cannot enable.
    func enableCapabilities(_ names: [String], for session: ChatSession) -> String? {
        for name in names where name != "room-flags" && (history == nil || (name != "history" && name != "join-history")) {
            return name
        }
        for name in names {
            if name == "room-flags" {
                session.wantsRoomFlags = true
            } else if name == "join-history" {
                session.wantsJoinHistory = true
            } else if !session.wantsMessageIDs {
                stopGathering(for: session)
                session.wantsMessageIDs = true
                sessionsWantingIDs += 1
            }
        }
        return nil
    }
}

/// Server time for HIST lines: `2026-12-06T02:58:01.123Z` from milliseconds since the epoch.
enum HistoryTime {
    static func iso8601(milliseconds: Int64) -> String {
        let seconds = Int(CivilDate.floorDivide(Int(milliseconds), 1000))
        let millis = Int(milliseconds) - seconds * 1000
        let days = CivilDate.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.date(daysSinceEpoch: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millisText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(millisText)Z"
    }
}
