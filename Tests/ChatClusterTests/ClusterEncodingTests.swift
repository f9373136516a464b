// ClusterEncodingTests: names become subject tokens NATS always accepts and
// that decode back (dots, wildcards, spaces, non-ASCII, case folded like
// NameRules.key), scopes map to subjects and back (a conversation from either
// side) and cluster names are checked (history payloads: HistoryEntryCodecTests).
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
}
