// ChatServerCore+Lookup: read-only questions another dialect's edge asks the
// core (the IRC listener's WHOIS, WHO and NAMES, and its registration, where a
// nick is chosen before the session exists), and the one way to connect with
// an anonymous name chosen in advance. Nothing here changes what a chat/1
// client sees: no line is sent and no state changes, except in
// `connect(link:credentials:now:anonymousName:)`, which is `connect` with the
// guest name replaced by a name checked by `availableAnonymousName`. Pure.

/// What the core can tell about one user (this node's session, or another node's user).
public struct UserLookup: Equatable, Sendable {
    public var name: String
    public var trust: Trust
    /// nil for a user of another node (only its trust is known here).
    public var transport: Transport?
    /// "sha256:..." of a verified client certificate on this node, else nil.
    public var certificateFingerprint: String?
    /// The rooms the user is in, oldest first.
    public var rooms: [String]
}

extension ChatServerCore {
    /// The user named `name` (exactly, ASCII case aside, with its `~`), or nil if nobody holds it.
    public func lookUpUser(_ name: String) -> UserLookup? {
        if let session = sessionsByName[NameRules.key(name)]?.first, !mustUpgradeFirst(session) {
            return UserLookup(name: session.name, trust: session.trust, transport: session.credentials.transport,
                              certificateFingerprint: session.credentials.certificateFingerprint, rooms: session.rooms)
        }
        if cluster != nil, let remote = directory.user(name) {
            return UserLookup(name: remote.name, trust: remote.trust, transport: nil, certificateFingerprint: nil, rooms: remote.rooms)
        }
        return nil
    }

    /// Every user in `room` (name and trust, each user once, sorted by name key; all of
    /// them, not cut at the WHO limit), or nil when the room does not exist.
    public func members(ofRoom requested: String) -> [(name: String, trust: Trust)]? {
        guard let room = rules.roomName(requested) else { return nil }
        let remote = cluster == nil ? [] : directory.members(in: room)
        guard rooms[room] != nil || !remote.isEmpty else { return nil }
        var seen = Set<String>()
        var found: [(key: String, name: String, trust: Trust)] = []
        for member in rooms[room]?.members ?? [] where seen.insert(NameRules.key(member.name)).inserted {
            found.append((NameRules.key(member.name), member.name, member.trust))
        }
        for user in remote where seen.insert(NameRules.key(user.name)).inserted {
            found.append((NameRules.key(user.name), user.name, user.trust))
        }
        return found.sorted { $0.key < $1.key }.map { ($0.name, $0.trust) }
    }

    /// Whether a new anonymous session could be given `requested` now, by the rules of
    /// `NICK` (PROTOCOL.md section 3): the name with its `~`, or BAD_ARGUMENTS,
    /// NAME_RESERVED or NAME_IN_USE. In cluster mode a name cannot be claimed before the
    /// session exists, so every name but a guest name is NAME_IN_USE there (choose it
    /// with NICK after connecting).
    public func availableAnonymousName(_ requested: String) -> Result<String, CommandError> {
        guard let name = rules.anonymousName(requested) else {
            return .failure(CommandError(.badArguments, "a name is 1-\(limits.maximumNameLength - 1) characters of A-Z a-z 0-9 . _ -"))
        }
        let key = NameRules.key(name)
        if NameRules.reservedAnonymousNames.contains(key) || key.hasPrefix("~guest") {
            return .failure(CommandError(.nameReserved, "\(name) is reserved"))
        }
        if sessionsByName[key] != nil || cluster != nil {
            return .failure(CommandError(.nameInUse, "\(name) is in use"))
        }
        return .success(name)
    }

    /// `connect`, for a connection whose anonymous name was chosen before it connected:
    /// when it turns out anonymous and `anonymousName` is still available, the session
    /// gets that name instead of a guest name (others first see it as that name).
    @discardableResult
    public func connect(link: ChatSessionLink, credentials: ClientCredentials, now: Int64?, anonymousName: String?) -> ChatSession {
        let anonymous = rules.certificateName(credentials.certificateCommonName) == nil
        guard anonymous, let anonymousName, case .success(let name) = availableAnonymousName(anonymousName) else {
            return connect(link: link, credentials: credentials, now: now)
        }
        chosenGuestName = name
        defer { chosenGuestName = nil }
        return connect(link: link, credentials: credentials, now: now)
    }
}
