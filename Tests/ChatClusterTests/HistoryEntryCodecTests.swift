// HistoryEntryCodecTests: stored messages and their entries. A batch of one
// scope survives its encoding with ids from its sequence and indices; the
// payload's exact form; every cut of a batch payload (fed as it would arrive
// in pieces) is refused as corrupt, never half read; counts too high or too
// low, unknown header words and bytes after the last entry fail the message;
// an entry no client could have sent (entry 3 of 5) is left out and the
// others kept; single-entry messages of earlier versions still decode with
// their sequence as id; names and texts that would break the framing are
// refused when encoding; the entry count is read from the header line alone.
@testable import ChatCluster
import ChatCore
import Testing

@Suite struct HistoryEntryCodecTests {
    static let entries = [
        HistoryEntry(time: 1_733_470_000_123, scope: .room("#x"), sender: "~guest", trust: .tls, text: "héllo 👋\tc2 9 cert a b"),
        HistoryEntry(time: 2, scope: .room("#x"), sender: "~plain", trust: .plain, text: " "),
        HistoryEntry(time: -3, scope: .room("#x"), sender: "alice", recipient: "Bob", trust: .cert, text: "to bob"),
    ]

    @Test func aBatchSurvivesItsEncodingWithIDsFromSequenceAndIndex() throws {
        let payload = try HistoryEntryCodec.encode(Self.entries[...])
        let decoded = try HistoryEntryCodec.decode(payload, scope: .room("#x"), sequence: 7)
        var expected = Self.entries
        for index in expected.indices { expected[index].id = HistoryPosition.batchID(sequence: 7, index: index)! }
        #expect(decoded == HistoryEntryCodec.Decoded(entries: expected, leftOut: 0))
        #expect(HistoryEntryCodec.entryCount(payload) == 3)
        let one = try HistoryEntryCodec.encode(Self.entries[2...])
        #expect(String(decoding: one, as: UTF8.self) == "c2 1\n-3 cert alice Bob\nto bob\n")
    }

    @Test func aThousandAndTwentyFourEntriesFitOneMessageAndOneMoreDoesNot() throws {
        let many = (0..<1024).map { HistoryEntry(time: Int64($0), scope: .room("#x"), sender: "alice", trust: .cert, text: "m\($0)") }
        let decoded = try HistoryEntryCodec.decode(try HistoryEntryCodec.encode(many[...]), scope: .room("#x"), sequence: 2)
        #expect(decoded.entries.map(\.text) == many.map(\.text) && decoded.entries.last?.id == HistoryPosition.batchID(sequence: 2, index: 1023))
        #expect(throws: HistoryError.self) { try HistoryEntryCodec.encode((many + [many[0]])[...]) }
        #expect(throws: HistoryError.self) { try HistoryEntryCodec.encode([HistoryEntry]()[...]) }
    }

    @Test func everyCutOfABatchIsRefusedAsCorruptNeverHalfRead() throws {
        let payload = try HistoryEntryCodec.encode(Self.entries[...])
        for end in 0..<payload.count {  // the payload as far as it had arrived, byte by byte
            #expect(throws: HistoryError.self, "cut at \(end)") {
                try HistoryEntryCodec.decode(Array(payload[..<end]), scope: .room("#x"), sequence: 1)
            }
        }
        #expect(try HistoryEntryCodec.decode(payload, scope: .room("#x"), sequence: 1).entries.count == 3)
    }

    @Test func wrongCountsUnknownHeadersAndTrailingBytesFailTheMessage() {
        let body = "1 cert alice -\none\n2 cert alice -\ntwo\n"
        for payload in ["c2 3\n" + body, "c2 1\n" + body, "c2 0\n", "c2 1025\n" + body, "c2 -1\n" + body, "c2 2\n" + body + "x",
                        "c3 2\n" + body, "c2 2 \n" + body, "c2\n" + body, "no header line", "c1 x cert a -\nt",
                        "c1 1 root a -\nt", "c1 1 cert a\nt", "c2 2\n1 cert alice -\none\n2 cert alice -\ntwo"] {
            #expect(throws: HistoryError.self, "\(payload)") {
                try HistoryEntryCodec.decode(Array(payload.utf8), scope: .room("#x"), sequence: 1)
            }
        }
        #expect((try? HistoryEntryCodec.decode(Array(("c2 2\n" + body).utf8), scope: .room("#x"), sequence: 1))?.entries.count == 2)
    }

    @Test func anEntryNoClientCouldHaveSentIsLeftOutAndTheOthersKept() throws {
        let bad = ["1 tls ~a -\ntwo\u{2028}lines", "1 tls ~a -\n", "1 tls ~a -\nbidi \u{202E}", "1 cert ~a -\nanonymous, cert",
                   "1 tls alice -\ncert name, tls trust", "1 cert alice bob\u{85}\nhi", "x cert alice -\nbad time",
                   "1 cert alice -  \nthree spaces", "1 cert  alice -\nempty field", "1 cert alice - extra\nfive fields",
                   "1 admin alice -\nunknown trust", "1 tlz ~a -\nnear trust", "1 plaiN ~a -\nnear trust", "1 Cert alice -\ncase"]
        for entry in bad {
            let payload = "c2 5\n1 cert alice -\none\n2 cert alice -\ntwo\n\(entry)\n4 cert alice -\nfour\n5 cert alice -\nfive\n"
            let decoded = try HistoryEntryCodec.decode(Array(payload.utf8), scope: .room("#x"), sequence: 9)
            #expect(decoded.entries.map(\.text) == ["one", "two", "four", "five"], "\(entry)")
            #expect(decoded.entries.map(\.id) == [0, 1, 3, 4].map { HistoryPosition.batchID(sequence: 9, index: $0)! })
            #expect(decoded.leftOut == 1)
        }
    }

    @Test func singleEntryMessagesOfEarlierVersionsStillDecodeWithTheirSequenceAsID() throws {
        let payload = Array("c1 3 cert alice Bob\nprivate".utf8)
        let decoded = try HistoryEntryCodec.decode(payload, scope: .between("alice", "bob"), sequence: 42)
        #expect(decoded.entries == [HistoryEntry(id: 42, time: 3, scope: .between("alice", "bob"), sender: "alice",
                                                 recipient: "Bob", trust: .cert, text: "private")])
        #expect(HistoryEntryCodec.entryCount(payload) == 1)
        let forged = try HistoryEntryCodec.decode(Array("c1 1 tls ~eve -\nhi\u{2028}NOTICE forged".utf8), scope: .room("#x"), sequence: 1)
        #expect(forged.entries.isEmpty && forged.leftOut == 1)
        #expect(HistoryEntryCodec.entryCount(Array("c3 1\nx".utf8)) == nil && HistoryEntryCodec.entryCount([]) == nil)
    }

    @Test func namesAndTextsThatWouldBreakThePayloadAreRefused() {
        for sender in ["", "-", "a b", "a\nb"] {
            #expect(throws: HistoryError.self) {
                try HistoryEntryCodec.encode([HistoryEntry(time: 1, scope: .room("#x"), sender: sender, trust: .cert, text: "t")][...])
            }
        }
        for recipient in ["", "-", "b b", "b\rc"] {
            #expect(throws: HistoryError.self) {
                try HistoryEntryCodec.encode([HistoryEntry(time: 1, scope: .between("a", "b"), sender: "a", recipient: recipient,
                                                           trust: .cert, text: "t")][...])
            }
        }
        for text in ["two\nlines", "carriage\rreturn"] {
            #expect(throws: HistoryError.self) {
                try HistoryEntryCodec.encode([HistoryEntry(time: 1, scope: .room("#x"), sender: "alice", trust: .cert, text: text)][...])
            }
        }
    }
}
