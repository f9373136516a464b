// ChatServerCore+ClusterFeed: room messages from a room's ordered feed in
// cluster mode (PROTOCOL.md section 15), one stored message's entries at a
// time (a StoredRoomBatch). The room is checked once per batch and each
// entry's sender and text over their bytes (RemoteInputRules; an entry no
// client could have sent, or whose fields lie outside the batch's bytes, is
// refused and logged, the others go on); every
// member's line is built straight from those bytes. A room message is
// delivered here, in feed order, also when it was sent on this node: the
// sender's own node learns which one it was from the store's acknowledgement
// (`ownStoredMessages`, ChatServerCore+Cluster), so a batch of a room that
// this node's batch in flight also writes to waits for that batch's
// completion, in order, behind what already waits. When that many entries
// wait that the backlog is full, it is delivered now, in order (order first:
// a sender on this node may then get its own message back, as section 15
// says for this overload). Pure: no I/O.

extension ChatServerCore {
    /// A stored room message from the room's feed (tests and single entries; the feed
    /// hands whole batches to `clusterRoomMessages(_: StoredRoomBatch)`).
    public func clusterRoomMessage(_ entry: HistoryEntry) {
        clusterRoomMessages([entry])
    }

    /// The entries of one stored message of a room's feed (tests, other sources): those
    /// of the first entry's room, as one batch; an entry of another room is refused.
    public func clusterRoomMessages(_ entries: [HistoryEntry]) {
        guard let room = entries.first.map(roomName(of:)) else { return }
        var ofTheRoom: [HistoryEntry] = []
        for entry in entries {
            guard roomName(of: entry) == room else {
                refuseRemoteInput("room message \(entry.id) from the feed: not of the room of its batch")
                continue
            }
            ofTheRoom.append(entry)
        }
        clusterRoomMessages(StoredRoomBatch(room: room, entries: ofTheRoom))
    }

    /// One stored message of a room's feed: its entries are checked, then delivered in order
    /// or left waiting behind this node's batch in flight.
    public func clusterRoomMessages(_ batch: StoredRoomBatch) {
        guard !batch.entries.isEmpty else { return }
        guard RemoteInputRules.isValidRoom(batch.room) else {
            return refuseRemoteInput("\(batch.entries.count) room messages from the feed: not a valid room")
        }
        var batch = batch
        let valid = batch.bytes.withUnsafeBufferPointer { bytes in
            batch.entries.allSatisfy { Self.isValid($0, in: bytes) }
        }
        if !valid { batch.entries = validEntries(of: batch) }
        guard !batch.entries.isEmpty else { return }
        let mayBeOwn = commitInFlight && inFlightRooms.contains(batch.room)
        guard mayBeOwn || !feedBacklog.isEmpty else { return deliverFromFeed(batch) }
        if feedBacklogEntries + batch.entries.count > Self.maximumOwnStoredMessages { drainFeedBacklog(evenInFlight: true) }
        feedBacklog.append(batch)  // in order behind what already waits
        feedBacklogEntries += batch.entries.count
    }

    /// The entries of `batch` a client could have sent; each other one is refused, saying why.
    private func validEntries(of batch: StoredRoomBatch) -> [StoredRoomBatch.Entry] {
        batch.bytes.withUnsafeBufferPointer { bytes in
            batch.entries.filter { entry in
                guard Self.isValid(entry, in: bytes) else {
                    refuseRemoteInput("room message \(entry.id) from the feed: not a valid sender or text")
                    return false
                }
                return true
            }
        }
    }

    /// Whether `entry`'s fields lie in `bytes` (a batch from any RoomFeedSource: never trap on
    /// one) and are a sender and text a client could have sent.
    private static func isValid(_ entry: StoredRoomBatch.Entry, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        entry.sender.lowerBound >= 0 && entry.sender.upperBound <= bytes.count
            && entry.text.lowerBound >= 0 && entry.text.upperBound <= bytes.count
            && RemoteInputRules.isValidUser(bytes: bytes[entry.sender], trust: entry.trust)
            && RemoteInputRules.isValidText(bytes: bytes[entry.text])
    }

    /// Delivers what the feed brought while the batch was in flight (after its completion,
    /// or before it when `evenInFlight`: the backlog is full).
    func drainFeedBacklog(evenInFlight: Bool = false) {
        guard !commitInFlight || evenInFlight else { return }
        let backlog = feedBacklog
        feedBacklog.removeAll()
        feedBacklogEntries = 0
        for batch in backlog { deliverFromFeed(batch) }
    }

    func roomName(of entry: HistoryEntry) -> String {
        if case .room(let room) = entry.scope { return room }
        return ""
    }

    /// Hands each entry of `batch` to the room's members here, but not to its sender when it
    /// is this node's own message, nor again when it was delivered before the feed.
    private func deliverFromFeed(_ batch: StoredRoomBatch) {
        let room = batch.room
        let wantIDs = sessionsWantingIDs > 0
        var newest: Int64 = 0
        batch.bytes.withUnsafeBufferPointer { bytes in
            for entry in batch.entries {
                newest = max(newest, entry.id)
                if !deliveredEarly.isEmpty, deliveredEarly.remove(entry.id) != nil { continue }  // its batch failed part-way
                let sender = ownStoredMessages.isEmpty ? nil : ownStoredMessages.removeValue(forKey: entry.id)?.sender
                guard let chatRoom = rooms[room] else { continue }  // looked up per entry: a delivery may end a member's session
                let (name, text) = (bytes[entry.sender], bytes[entry.text])
                let plain = Self.roomLine(room: room, sender: name, trust: entry.trust, text: text, id: nil)
                let withID = wantIDs ? Self.roomLine(room: room, sender: name, trust: entry.trust, text: text, id: entry.id) : nil
                counters.deliveries += fanOut(plain, withID: withID, in: chatRoom, except: sender).sent
            }
        }
        if let local = rooms[room], newest > local.newestID { local.newestID = newest }
    }
}
