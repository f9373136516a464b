// SQLiteHistoryStore+Scopes: the rooms and conversations (scopes) messages
// belong to: their ids in the scopes table, looked up once and then cached
// (the cache is emptied when it grows past `maximumCachedScopes`), and added
// inside the caller's transaction, remembered only after it commits. A
// conversation is keyed by its two names in sorted order. It stores no
// message and opens no transaction.
import ChatCore

extension SQLiteHistoryStore {
    /// How a scope is keyed in the scopes table; a conversation's two names in sorted order.
    static func key(_ scope: HistoryScope) -> (kind: String, name: String, peer: String) {
        switch scope {
        case .room(let name): ("room", name, "")
        case .conversation(let a, let b): a <= b ? ("conversation", a, b) : ("conversation", b, a)
        }
    }

    /// The id of `scope`, added to the scopes table (inside the caller's transaction) if new.
    /// New ids go to `created`, to be remembered only once the transaction has committed.
    func scopeID(_ scope: HistoryScope, creating created: inout [HistoryScope: Int64]) throws(HistoryError) -> Int64 {
        if let id = scopeIDs[scope] ?? created[scope] { return id }
        let id: Int64
        if let existing = try lookUp(scope) {
            id = existing
        } else {
            let statement = statements.insertScope
            defer { statement.reset() }
            try bindKey(scope, to: statement)
            try statement.run()
            id = connection.lastInsertedRowID
        }
        created[scope] = id
        return id
    }

    /// The id of `scope` if it has ever held a message.
    func existingScopeID(_ scope: HistoryScope) throws(HistoryError) -> Int64? {
        if let id = scopeIDs[scope] { return id }
        guard let id = try lookUp(scope) else { return nil }
        remember([scope: id])
        return id
    }

    func lookUp(_ scope: HistoryScope) throws(HistoryError) -> Int64? {
        let statement = statements.findScope
        defer { statement.reset() }
        try bindKey(scope, to: statement)
        return try statement.step() ? statement.int64(0) : nil
    }

    func bindKey(_ scope: HistoryScope, to statement: SQLiteStatement) throws(HistoryError) {
        let key = Self.key(scope)
        try statement.bind(1, key.kind)
        try statement.bind(2, key.name)
        try statement.bind(3, key.peer)
    }

    func remember(_ ids: [HistoryScope: Int64]) {
        guard !ids.isEmpty else { return }
        if scopeIDs.count + ids.count > Self.maximumCachedScopes { scopeIDs.removeAll(keepingCapacity: true) }
        scopeIDs.merge(ids) { _, new in new }
    }
}

extension SQLiteHistoryStore {
    public func certificateOnlyRooms() throws(HistoryError) -> Set<String> {
        let statement = try connection.prepare(
            "SELECT name FROM scopes WHERE kind = 'room' AND certificate_only = 1", doing: "reading certificate-only rooms")
        defer { statement.finalize() }
        var names: Set<String> = []
        while try statement.step() {
            if let name = statement.text(0) { names.insert(name) }
        }
        return names
    }

    public func markCertificateOnly(room: String) throws(HistoryError) {
        var created: [HistoryScope: Int64] = [:]
        try transaction { () throws(HistoryError) in
            try run(statements.markCertificateOnly, try scopeID(.room(room), creating: &created))
        }
        remember(created)
    }
}
