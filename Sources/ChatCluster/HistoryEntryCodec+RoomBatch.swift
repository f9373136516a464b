// HistoryEntryCodec+RoomBatch: a room's stored message read for its feed.
// Every node reads every message of every room it follows, so this path
// builds no String and no HistoryEntry: it checks the framing as `decode`
// does and hands the chat core the payload with each entry's id, trust and
// the positions of its sender and text (StoredRoomBatch). The core checks
// those fields (RemoteInputRules) and builds its lines from the bytes. An
// entry whose header line is malformed, or that names a recipient no client
// could name, is left out and counted; a wrong framing fails the message.
// Decoding only: no I/O.
import ChatCore

extension HistoryEntryCodec {
    /// The entries of `payload`, a message of `room` at stream sequence `sequence`, located in
    /// place, and how many were left out.
    public static func decodeRoomBatch(_ payload: [UInt8], room: String,
                                       sequence: UInt64) throws(HistoryError) -> (batch: StoredRoomBatch, leftOut: Int) {
        var entries: [StoredRoomBatch.Entry] = []
        var leftOut = 0
        try payload.withUnsafeBufferPointer { bytes throws(HistoryError) in
            guard let newline = find(lineFeed, in: bytes, from: 0) else {
                throw HistoryError(.corrupt, "stream message \(sequence) has no header line")
            }
            func take(_ id: Int64, _ head: EntryHead?, _ text: Range<Int>) {
                guard let head, head.recipient.map({ RemoteInputRules.isValidName(bytes: bytes[$0]) }) ?? true else {
                    leftOut += 1
                    return
                }
                entries.append(StoredRoomBatch.Entry(id: id, trust: head.trust, sender: head.sender, text: text))
            }
            if let count = batchCount(bytes, headerEnd: newline) {
                entries.reserveCapacity(count)
                return try forEachEntry(bytes, count: count, from: newline + 1, sequence: sequence, take)
            }
            let (id, head) = try singleEntry(bytes, headerEnd: newline, sequence: sequence)
            take(id, head, (newline + 1)..<bytes.count)
        }
        return (StoredRoomBatch(room: room, bytes: payload, entries: entries), leftOut)
    }
}
