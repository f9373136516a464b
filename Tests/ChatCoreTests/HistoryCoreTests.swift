// HistoryCoreTests: the chat core with durable history (PROTOCOL.md section
// 11), on the real SQLite store in a temporary directory, with no network:
// replies wait for the commit and keep command order, clients that did not
// opt in see exactly the old lines, ids on opted-in lines, HISTORY paging
// (latest, BEFORE, AFTER, `more`), who may read what, private messages stored
// only between certificate users, history on JOIN, and delivery that goes on
// (with `unstored`) when the disk is full.
import ChatCore
import ChatHistory
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A core backed by a fresh SQLite store; removed with the test.
final class HistoryFixture {
    let directory: String
    let store: SQLiteHistoryStore
    let core: ChatServerCore
    var failures: [HistoryError] = []
    private var clock: Int64 = 1_765_000_000_000

    init(historyOnJoin: Int = 20) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("history-core-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteHistoryStore(path: directory + "/history.sqlite")
        core = ChatServerCore()
        core.history = store
        core.historyOnJoin = historyOnJoin
        core.historyFailed = { [unowned self] in failures.append($0) }
        core.wallClock = { [unowned self] in clock }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// What the server's loop does once per iteration.
    func commit() {
        clock += 1000
        core.commitStaged(nowMilliseconds: clock)
    }
}

@Suite("chat core with history", .serialized)
struct HistoryCoreTests {
    @Test("a client that did not opt in sees exactly the old lines; its OK waits for the commit")
    func oldClientsSeeOldLines() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = alice.link.take(); _ = bob.link.take()
        #expect(alice.send("SAY hi all") == [], "no OK before the commit")
        #expect(bob.link.take() == [], "no delivery before the commit either")
        fixture.commit()
        #expect(alice.link.take() == ["OK SAY #lobby sent 1/1"])
        #expect(bob.link.take() == ["MSG #lobby alice cert hi all"])
        #expect(try fixture.store.messages(in: .room("#lobby"), .latest, limit: 10).map(\.text) == ["hi all"])
    }

    @Test("replies keep command order when a stored message waits for its commit")
    func repliesKeepOrder() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice")
        _ = alice.link.take()
        for line in ["SAY one", "PING x", "SAY two", "SAY three", "WHOAMI", "JOIN #dev", "SAY four"] {
            fixture.core.receive(line: Array(line.utf8), from: alice.session)
        }
        fixture.core.refuseRateLimited(alice.session)
        #expect(alice.link.take() == [], "everything waits behind the first stored message")
        fixture.commit()
        let replies = alice.link.take()
        #expect(replies.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
                    == ["OK SAY", "OK PING", "OK SAY", "OK SAY", "OK WHOAMI", "OK JOIN", "OK SAY", "ERR RATE_LIMITED"], "\(replies)")
        #expect(replies[6] == "OK SAY #dev sent 0/0", "SAY four went to the room joined before it")
        let stored = try fixture.store.messages(in: .room("#lobby"), .latest, limit: 10)
        #expect(stored.map(\.text) == ["one", "two", "three"])
        #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.id < $1.id })
    }

    @Test("CAP REQ history: ids on live messages and on the sender's OK")
    func idsForThoseWhoAsked() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob"), guest = Client(fixture.core)
        #expect(alice.send("CAP LS").first?.hasSuffix(" history=500 join-history=20") == true)
        #expect(alice.send("CAP REQ history") == ["OK CAP REQ history"])
        #expect(bob.send("CAP REQ history") == ["OK CAP REQ history"])
        #expect(guest.send("CAP REQ history bogus").first?.hasPrefix("ERR BAD_ARGUMENTS no capability 'bogus'") == true)
        _ = alice.link.take(); _ = bob.link.take(); _ = guest.link.take()
        alice.send("SAY with id")
        fixture.commit()
        let ok = try #require(alice.link.take().first)
        let id = try #require(ok.split(separator: "=").last.flatMap { Int64($0) }, "\(ok)")
        #expect(ok == "OK SAY #lobby sent 2/2 id=\(id)")
        #expect(bob.link.take() == ["MSGID \(id) #lobby alice cert with id"])
        #expect(guest.link.take() == ["MSG #lobby alice cert with id"], "the guest did not ask for ids")
        bob.send("MSG alice psst")
        fixture.commit()
        #expect(alice.link.take() == ["PRIVID \(id + 1) bob cert psst"])
        #expect(bob.link.take() == ["OK MSG alice sent 1/1 id=\(id + 1)"])
        #expect(guest.send("MSG alice anonymous secret") == ["OK MSG alice sent 1/1"], "not stored: answered at once")
        #expect(alice.link.take() == ["PRIV ~guest1 tls anonymous secret"])
        #expect(try fixture.store.messages(in: .between("alice", "~guest1"), .latest, limit: 10).isEmpty)
    }

    @Test("HISTORY pages back and catches up, oldest first, with 'more'; HIST lines name the conversation from each side")
    func historyPaging() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob"), guest = Client(fixture.core)
        for number in 1...7 { alice.send("SAY m\(number)") }
        fixture.commit()
        let ids = try fixture.store.messages(in: .room("#lobby"), .latest, limit: 10).map(\.id)
        func texts(_ lines: [String]) -> [String] { lines.dropLast().map { String($0.split(separator: " ").last!) } }
        let latest = bob.send("HISTORY #lobby LIMIT 3")
        #expect(texts(latest) == ["m5", "m6", "m7"] && latest.last == "OK HISTORY #lobby 3 more", "\(latest)")
        #expect(latest.first == "HIST \(ids[4]) 2025-12-06T05:46:41.000Z #lobby alice cert m5", "the commit's time, UTC")
        #expect(latest.first?.hasPrefix("HIST \(ids[4]) ") == true && latest.first?.hasSuffix(" #lobby alice cert m5") == true)
        let back = bob.send("history #lobby before \(ids[4]) limit 3")
        #expect(texts(back) == ["m2", "m3", "m4"] && back.last == "OK HISTORY #lobby 3 more", "\(back)")
        #expect(bob.send("HISTORY #lobby BEFORE \(ids[1])").last == "OK HISTORY #lobby 1")
        let after = bob.send("HISTORY #lobby AFTER \(ids[3]) LIMIT 3")
        #expect(texts(after) == ["m5", "m6", "m7"] && after.last == "OK HISTORY #lobby 3", "\(after)")
        #expect(bob.send("HISTORY #lobby AFTER \(ids[6])") == ["OK HISTORY #lobby 0"])
        #expect(bob.send("HISTORY #dev").first?.hasPrefix("ERR NOT_IN_ROOM") == true)
        let fromTheStart = bob.send("HISTORY #lobby AFTER 0 LIMIT 2")
        #expect(texts(fromTheStart) == ["m1", "m2"] && fromTheStart.last == "OK HISTORY #lobby 2 more", "AFTER 0: \(fromTheStart)")
        #expect(bob.send("HISTORY #lobby BEFORE 0").first?.hasPrefix("ERR BAD_ARGUMENTS usage: HISTORY") == true)
        #expect(bob.send("HISTORY #lobby LIMIT 0").first?.hasPrefix("ERR BAD_ARGUMENTS usage: HISTORY") == true)
        #expect(bob.send("HISTORY #lobby AFTER 1 BEFORE 9").first?.hasPrefix("ERR BAD_ARGUMENTS") == true)
        #expect(guest.send("HISTORY alice").first?.hasPrefix("ERR NOT_ALLOWED") == true)
        bob.send("MSG alice from bob")
        fixture.commit()
        alice.send("MSG bob from alice")
        fixture.commit()
        let bobView = bob.send("HISTORY alice")
        #expect(bobView.count == 3 && bobView.allSatisfy { $0.hasPrefix("HIST ") ? $0.contains(" alice ") : true })
        #expect(bobView[0].hasSuffix(" alice bob cert from bob") && bobView[1].hasSuffix(" alice alice cert from alice"), "\(bobView)")
        let aliceView = alice.send("HISTORY BOB")
        #expect(aliceView[0].hasSuffix(" bob bob cert from bob") && aliceView.last == "OK HISTORY BOB 2", "\(aliceView)")
        #expect(guest.send("HISTORY #lobby LIMIT 1").last == "OK HISTORY #lobby 1 more", "any member reads a room's history")
    }

    @Test("a HISTORY reply stops at half the room left in the output queue (newest kept, 'more'), so its reader is never closed")
    func historyFitsTheOutputQueue() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        for number in 1...10 { alice.send("SAY \(number) " + String(repeating: "y", count: 4000)) }
        fixture.commit()
        bob.link.room = 20_000  // a budget of 10,000 bytes: two lines of about 4,060
        let lines = bob.send("HISTORY #lobby LIMIT 10")
        #expect(lines.count == 3 && lines.last == "OK HISTORY #lobby 2 more", "\(lines.map { $0.prefix(60) })")
        #expect(lines.first?.contains(" alice cert 9 ") == true, "the newest two are kept when paging back")
        let after = bob.send("HISTORY #lobby AFTER 0 LIMIT 10")
        #expect(after.first?.contains(" alice cert 1 ") == true && after.last == "OK HISTORY #lobby 2 more", "the oldest when catching up")
        bob.link.room = 10_000  // not reading: nothing is read for it at all
        #expect(bob.send("HISTORY #lobby LIMIT 10") == ["OK HISTORY #lobby 0 more"])
    }

    @Test("a session ended while its message waits for the commit still gets its OK first: line too long, replacement, shutdown")
    func endingsWaitForTheCommit() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = bob.link.take()
        alice.send("SAY before the long line")
        fixture.core.lineTooLong(from: alice.session)
        fixture.commit()
        #expect(alice.link.take().map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["OK SAY", "ERR LINE_TOO_LONG"])
        let carol = Client(fixture.core, cert: "carol")
        _ = carol.link.take(); _ = bob.link.take()
        carol.send("SAY before my replacement")
        let second = Client(fixture.core, cert: "carol")
        #expect(carol.link.take() == ["OK SAY #lobby sent 1/1", "NOTICE replaced another connection signed in with your certificate"])
        #expect(bob.link.take().first == "MSG #lobby carol cert before my replacement", "delivered before carol's old session left")
        second.send("SAY before the shutdown")
        fixture.core.shutDown()
        #expect(second.link.take().prefix(2) == ["OK SAY #lobby sent 1/1", "NOTICE shutdown server is shutting down"])
    }

    @Test("one commit call runs a bounded number of transactions and says when more is staged")
    func commitRoundsAreBounded() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice")
        _ = alice.link.take()
        for line in ["SAY a", "PING", "SAY b", "PING", "SAY c"] { fixture.core.receive(line: Array(line.utf8), from: alice.session) }
        #expect(fixture.core.commitStaged(nowMilliseconds: 1, maximumRounds: 1), "SAY b waits for the next round")
        #expect(alice.link.take() == ["OK SAY #lobby sent 0/0", "OK PING"])
        #expect(!fixture.core.commitStaged(nowMilliseconds: 2, maximumRounds: 2))
        #expect(alice.link.take() == ["OK SAY #lobby sent 0/0", "OK PING", "OK SAY #lobby sent 0/0"])
    }

    @Test("civil dates: days since 1970 and back, across leap days and before 1970")
    func civilDates() {
        for (days, date) in [(0, (1970, 1, 1)), (20_793, (2026, 12, 6)), (11_016, (2000, 2, 29)), (-25_508, (1900, 3, 1)), (-1, (1969, 12, 31))] {
            #expect(CivilDate.date(daysSinceEpoch: days) == date)
            #expect(CivilDate.daysSinceEpoch(year: date.0, month: date.1, day: date.2) == days)
        }
    }

    @Test("join-history: the room's last messages come as HIST lines before OK JOIN")
    func historyOnJoin() throws {
        let fixture = try HistoryFixture(historyOnJoin: 2)
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        alice.send("JOIN #dev")
        for number in 1...3 { alice.send("SAY d\(number)") }
        fixture.commit()
        #expect(bob.send("CAP REQ join-history") == ["OK CAP REQ join-history"])
        let lines = bob.send("JOIN #dev")
        #expect(lines.count == 3 && lines[0].hasSuffix(" #dev alice cert d2") && lines[1].hasSuffix(" #dev alice cert d3"), "\(lines)")
        #expect(lines.last == "OK JOIN #dev 2")
        #expect(bob.send("JOIN #dev") == ["OK JOIN #dev 2"], "already a member: no history again")
    }

    @Test("when the store cannot write (file size limit), messages are still delivered and the sender hears 'unstored'")
    func fullDiskKeepsChatting() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        alice.send("CAP REQ history")
        _ = bob.link.take()
        let previous = signal(SIGXFSZ, SIG_IGN)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        var tiny = limit
        tiny.rlim_cur = 1
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &tiny)
        alice.send("SAY " + String(repeating: "x", count: 4000))
        fixture.commit()
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        signal(SIGXFSZ, previous)
        #expect(alice.link.take() == ["OK SAY #lobby sent 1/1 unstored"])
        #expect(bob.link.take().first?.hasPrefix("MSG #lobby alice cert xxx") == true)
        #expect(fixture.failures.first?.kind == .full, "\(fixture.failures)")
        alice.send("SAY stored again")
        fixture.commit()
        #expect(alice.link.take().first?.hasPrefix("OK SAY #lobby sent 1/1 id=") == true)
        #expect(try fixture.store.messages(in: .room("#lobby"), .latest, limit: 10).map(\.text) == ["stored again"])
    }
}
