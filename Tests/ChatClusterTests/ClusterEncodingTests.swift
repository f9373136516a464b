// ClusterEncodingTests: names become subject tokens NATS always accepts and
// that decode back (dots, wildcards, spaces, non-ASCII, case folded like
// NameRules.key), scopes map to subjects and back (a conversation from either
// side), cluster names are checked, and a history entry survives its payload
// encoding while names that would break it are refused.
@testable import ChatCluster
import ChatCore
import Testing

@Suite struct ClusterEncodingTests {
    @Test func anyNameBecomesAValidTokenThatDecodesBack() throws {
        for name in ["#dev", "#a.b", "#*", "#>", "a b", "#ünï", "~guest", "", "#x\u{0}y"] {
            let token = ClusterSubjects.token(name)
            #expect(!token.isEmpty && token.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || $0 == 45 }, "\(name) -> \(token)")
            #expect(ClusterSubjects.name(fromToken: token) == NameRules.key(name))
        }
        #expect(ClusterSubjects.token("#Dev") == ClusterSubjects.token("#dev"))
        #expect(ClusterSubjects.token("#dev") == "23646576")
        for bad in ["2", "zz", "2G", "ff"] { #expect(ClusterSubjects.name(fromToken: bad) == nil, "\(bad)") }
    }

    @Test func scopesMapToSubjectsAndBack() throws {
        let subjects = try ClusterSubjects(clusterName: "Blue-1")
        #expect(subjects.historyStream == "TLSCHAT_BLUE-1" && subjects.historyWildcard == "tlschat.blue-1.history.>")
        #expect(subjects.certificateOnlyBucket == "TLSCHAT_BLUE-1_CERTONLY")
        #expect(subjects.historySubject(.room("#dev")) == "tlschat.blue-1.history.room.23646576")
        let conversation = subjects.historySubject(.conversation("bob", "Alice"))
        #expect(conversation == subjects.historySubject(.between("alice", "bob")))
        #expect(subjects.scope(ofHistorySubject: conversation) == .conversation("alice", "bob"))
        #expect(subjects.scope(ofHistorySubject: "tlschat.blue-1.history.room.23646576") == .room("#dev"))
        #expect(subjects.scope(ofHistorySubject: "tlschat.other.history.room.23646576") == nil)
        #expect(subjects.scope(ofHistorySubject: "tlschat.blue-1.history.room.2364657") == nil)
        #expect(subjects.subject("rooms", ClusterSubjects.token("#dev")) == "tlschat.blue-1.rooms.23646576")
    }

    @Test func clusterNamesAreChecked() {
        for bad in ["", "a.b", "a b", "a>", String(repeating: "x", count: 33), "é"] {
            #expect(throws: HistoryError.self, "\(bad)") { try ClusterSubjects(clusterName: bad) }
        }
        #expect((try? ClusterSubjects(clusterName: "prod_eu-2")) != nil)
    }

    @Test func anEntrySurvivesItsPayloadEncoding() throws {
        let entries = [
            HistoryEntry(time: 1_733_470_000_123, scope: .room("#x"), sender: "~guest", trust: .tls, text: "héllo 👋\tc1 0 cert a b"),
            HistoryEntry(time: 2, scope: .room("#x"), sender: "~plain", trust: .plain, text: " "),
            HistoryEntry(time: 3, scope: .between("alice", "bob"), sender: "alice", recipient: "Bob", trust: .cert, text: "private"),
        ]
        for (index, entry) in entries.enumerated() {
            let payload = try HistoryEntryCodec.encode(entry)
            var expected = entry
            expected.id = Int64(index + 10)
            #expect(try HistoryEntryCodec.decode(payload, scope: entry.scope, sequence: UInt64(index + 10)) == expected)
        }
        #expect(String(decoding: try HistoryEntryCodec.encode(entries[2]), as: UTF8.self) == "c1 3 cert alice Bob\nprivate")
        // What no client could have sent is refused when read back (it would forge lines at clients).
        for (sender, trust, text) in [("~a", Trust.tls, "two\nlines"), ("~a", .tls, ""), ("~a", .tls, "bidi \u{202E}"),
                                      ("~a", .cert, "anonymous name, cert trust"), ("alice", .tls, "cert name, tls trust"),
                                      ("alice", .cert, "RECIPIENT\u{85}")] {
            let recipient = text.hasPrefix("RECIPIENT") ? "bob\u{85}" : "-"  // a C1 control in the recipient
            let payload = Array("c1 1 \(trust.rawValue) \(sender) \(recipient)\n\(text.hasPrefix("RECIPIENT") ? "hi" : text)".utf8)
            #expect(throws: HistoryError.self, "\(sender) \(trust) \(text)") {
                try HistoryEntryCodec.decode(payload, scope: .room("#x"), sequence: 1)
            }
        }
    }

    @Test func namesThatWouldBreakThePayloadAreRefusedAndBadPayloadsReported() {
        for sender in ["", "-", "a b", "a\nb"] {
            #expect(throws: HistoryError.self) {
                try HistoryEntryCodec.encode(HistoryEntry(time: 1, scope: .room("#x"), sender: sender, trust: .cert, text: "t"))
            }
        }
        for payload in ["no header line", "c2 1 cert a -\nt", "c1 x cert a -\nt", "c1 1 root a -\nt", "c1 1 cert a\nt"] {
            #expect(throws: HistoryError.self, "\(payload)") {
                try HistoryEntryCodec.decode(Array(payload.utf8), scope: .room("#x"), sequence: 1)
            }
        }
    }
}
