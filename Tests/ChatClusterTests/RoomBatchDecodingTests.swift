// RoomBatchDecodingTests: the feed's decoder (decodeRoomBatch, fields left
// in the payload's bytes) against the full decoder (decode, Strings): for
// the same payloads, byte by byte cuts, wrong framings and entries no client
// could have sent, both fail alike, and the entries the feed's decoder keeps
// and the chat core's byte checks (RemoteInputRules) then accept are exactly
// the full decoder's, with the same ids, senders, trusts and texts. One
// difference is wanted: a text that is not UTF-8 is refused by the byte
// checks, where the full decoder repairs it.
@testable import ChatCluster
import ChatCore
import Testing

@Suite struct RoomBatchDecodingTests {
    /// What the core would deliver of `payload`: the feed decoder's entries that pass its checks.
    static func delivered(_ payload: [UInt8], sequence: UInt64) throws -> [HistoryEntry] {
        let (batch, _) = try HistoryEntryCodec.decodeRoomBatch(payload, room: "#x", sequence: sequence)
        let accepted = batch.bytes.withUnsafeBufferPointer { bytes in
            batch.entries.filter {
                RemoteInputRules.isValidUser(bytes: bytes[$0.sender], trust: $0.trust) && RemoteInputRules.isValidText(bytes: bytes[$0.text])
            }
        }
        return StoredRoomBatch(room: batch.room, bytes: batch.bytes, entries: accepted).historyEntries()
    }

    /// Both decoders fail alike on `payload`, or deliver the same entries.
    static func expectSameOutcome(_ payload: [UInt8], sequence: UInt64 = 9, _ comment: Comment? = nil) {
        let full = Result { try HistoryEntryCodec.decode(payload, scope: .room("#x"), sequence: sequence) }
        let feed = Result { try delivered(payload, sequence: sequence) }
        switch (full, feed) {
        case (.success(let decoded), .success(let entries)):
            let expected = untimed(decoded.entries).map { var entry = $0; entry.recipient = nil; return entry }
            #expect(entries == expected, comment)
        case (.failure, .failure): break
        default: Issue.record("one decoder failed, the other did not: \(full) / \(feed) \(comment.map { "\($0)" } ?? "")")
        }
    }

    @Test func theFeedDecoderAgreesWithTheFullOneOnGoodBatchesAndEveryCut() throws {
        let entries = [
            HistoryEntry(time: 1_733_470_000_123, scope: .room("#x"), sender: "~guest", trust: .tls, text: "héllo 👋\tc2 9 cert a b"),
            HistoryEntry(time: 2, scope: .room("#x"), sender: "~plain", trust: .plain, text: " "),
            HistoryEntry(time: -3, scope: .room("#x"), sender: "alice", recipient: "Bob", trust: .cert, text: "to bob"),
        ]
        let payload = try HistoryEntryCodec.encode(entries[...])
        #expect(try Self.delivered(payload, sequence: 7).map(\.text) == entries.map(\.text))
        #expect(try Self.delivered(payload, sequence: 7).map(\.id) == (0..<3).map { HistoryPosition.batchID(sequence: 7, index: $0)! })
        for end in 0...payload.count {  // as far as it had arrived, byte by byte
            Self.expectSameOutcome(Array(payload[..<end]), "cut at \(end)")
        }
    }

    @Test func wrongFramingsFailBothAndBadEntriesAreDroppedByBoth() {
        let body = "1 cert alice -\none\n2 cert alice -\ntwo\n"
        for payload in ["c2 3\n" + body, "c2 1\n" + body, "c2 0\n", "c2 1025\n" + body, "c2 2\n" + body + "x", "c3 2\n" + body,
                        "c2 2 \n" + body, "c2\n" + body, "no header line", "c1 x cert a -\nt", "c1 1 root a -\nt", "c1 1 cert a\nt",
                        "c2 2\n" + body, "c1 3 cert alice -\nsingle", "c1 1 tls ~eve -\nhi\u{2028}NOTICE forged"] {
            Self.expectSameOutcome(Array(payload.utf8), "\(payload)")
        }
        let bad = ["1 tls ~a -\ntwo\u{2028}lines", "1 tls ~a -\n", "1 tls ~a -\nbidi \u{202E}", "1 cert ~a -\nanonymous, cert",
                   "1 tls alice -\ncert name, tls trust", "1 cert alice bob\u{85}\nhi", "x cert alice -\nbad time",
                   "1 cert alice -  \nthree spaces", "1 cert  alice -\nempty field", "1 cert alice - extra\nfive fields",
                   "1 admin alice -\nunknown trust", "1 Cert alice -\ncase", "1 cert al\u{E9}ce -\nnot a name", "1 cert alice ~b\ntab\tok"]
        for entry in bad {
            let payload = "c2 5\n1 cert alice -\none\n2 cert alice -\ntwo\n\(entry)\n4 cert alice -\nfour\n5 cert alice -\nfive\n"
            Self.expectSameOutcome(Array(payload.utf8), "\(entry)")
        }
    }

    @Test func aTextThatIsNotUTF8IsRefusedByTheByteChecks() throws {
        var payload = Array("c2 2\n1 cert alice -\n".utf8) + [0x66, 0xFF, 0x6F] + Array("\n2 cert alice -\ngood\n".utf8)
        #expect(try Self.delivered(payload, sequence: 3).map(\.text) == ["good"])
        payload = Array("c2 1\n1 cert alice -\n".utf8) + [0xE2, 0x82] + Array("\n".utf8)  // a cut scalar
        #expect(try Self.delivered(payload, sequence: 3).isEmpty)
    }
}
