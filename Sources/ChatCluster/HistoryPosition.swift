// HistoryPosition: where a history id points in the history stream, and back.
// Since stored messages hold batches (HistoryEntryCodec "c2"), an entry is
// found by its message's stream sequence S and its index i (0-based) in that
// message, and its id is 2^62 + S*1024 + i: positive, strictly increasing
// with (S, i), and never reused, because sequences are not. Messages written
// by earlier versions hold one entry ("c1") whose id is its sequence S, which
// keeps every id a client learned before an upgrade meaning the same message;
// all batch ids are above all of those (2^62 is far beyond any real stream
// sequence). The largest batch sequence is 2^52 - 1, whose last id is
// Int64.max. Ids that are neither (0, negative, 2^62 up to 2^62 + 1023) have
// no position. Pure arithmetic: it knows nothing of NATS or of chat.

public struct HistoryPosition: Equatable, Sendable {
    /// The first id of the batch range (no batch entry has it: sequences start at 1).
    public static let batchBase: Int64 = 1 << 62
    /// Entries one stored message may hold (the index is below it).
    public static let entriesPerMessage = 1024
    /// The largest stream sequence a batch message may have for its ids to fit an Int64.
    public static let maximumBatchSequence: UInt64 = (1 << 52) - 1

    /// The stream sequence of the message holding the entry.
    public let sequence: UInt64
    /// The entry's index in its message (always 0 for a single-entry message of earlier versions).
    public let index: Int
    /// Whether the id is of a batch message ("c2") rather than a single-entry one ("c1").
    public let isBatch: Bool

    /// The position of `id`, nil for an id no message can have.
    public init?(id: Int64) {
        if id >= 1 && id < Self.batchBase {
            (sequence, index, isBatch) = (UInt64(id), 0, false)
            return
        }
        guard id >= Self.batchBase + Int64(Self.entriesPerMessage) else { return nil }
        let offset = UInt64(id - Self.batchBase)
        (sequence, index, isBatch) = (offset >> 10, Int(offset & 1023), true)
    }

    /// The id of entry `index` of the batch message at stream sequence `sequence`, nil when
    /// either is out of range.
    public static func batchID(sequence: UInt64, index: Int) -> Int64? {
        guard sequence >= 1, sequence <= maximumBatchSequence, index >= 0, index < entriesPerMessage else { return nil }
        return batchBase + (Int64(sequence) << 10) + Int64(index)
    }

    /// The id of the single-entry message (written by an earlier version) at `sequence`.
    public static func singleID(sequence: UInt64) -> Int64? {
        sequence >= 1 && sequence < UInt64(batchBase) ? Int64(sequence) : nil
    }

    /// This position's id.
    public var id: Int64 {
        isBatch ? Self.batchID(sequence: sequence, index: index)! : Int64(sequence)
    }
}
