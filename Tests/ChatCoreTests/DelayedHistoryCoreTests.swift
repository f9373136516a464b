// DelayedHistoryCoreTests: the chat core's promises when the history store
// answers later (DelayedHistoryStore, as a networked store would), fed line
// by line with no network: OK and delivery wait for the append's completion,
// one batch is in flight at a time, replies keep command order behind a
// pending append and behind a pending read, a failed append still delivers
// and says `unstored`, sessions that end while their read or commit is
// pending get nothing (and crash nothing), CERTONLY waits for its mark and
// keeps lower trust out meanwhile, join-history waits for its read (and
// reads again when the room moved on meanwhile, and checks the join again),
// a batch answered with the wrong count counts as unstored, held input is
// bounded.
import ChatCore
import Testing

private func verbs(_ lines: [String]) -> [String] { lines.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } }

@Suite("chat core with a store that answers later", .serialized)
struct DelayedHistoryCoreTests {
    @Test("OK and delivery wait for the append's completion; one batch in flight, the next keeps order")
    func okWaitsForTheAppend() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(alice, ["SAY one"])
        #expect(!fixture.commit(), "a batch in flight: the loop may sleep until it completes")
        #expect(fixture.store.pendingKinds == ["append"])
        #expect(alice.link.take() == [] && bob.link.take() == [], "no OK and no delivery before the store answers")
        fixture.feed(alice, ["SAY two", "SAY three"])
        #expect(!fixture.commit())
        #expect(fixture.store.pendingKinds == ["append"], "a second batch waits for the first")
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK SAY #lobby sent 1/1"])
        #expect(bob.link.take() == ["MSG #lobby alice cert one"])
        #expect(fixture.core.hasStagedMessages)
        fixture.commit()
        #expect(alice.link.take() == [] && bob.link.take() == [])
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK SAY #lobby sent 1/1", "OK SAY #lobby sent 1/1"])
        #expect(bob.link.take() == ["MSG #lobby alice cert two", "MSG #lobby alice cert three"])
        #expect(try fixture.storedTexts("#lobby") == ["one", "two", "three"])
    }

    @Test("HISTORY and SAYs pipelined behind a pending append: replies in command order")
    func orderBehindAPendingAppend() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice")
        _ = alice.link.take()
        fixture.feed(alice, ["SAY one"])
        fixture.commit()
        fixture.feed(alice, ["HISTORY #lobby", "SAY two", "PING p"])
        fixture.core.refuseRateLimited(alice.session)
        fixture.commit()
        #expect(alice.link.take() == [])
        #expect(fixture.store.completeNext() == "append")
        #expect(verbs(alice.link.take()) == ["OK SAY"], "the HISTORY read went out, nothing behind it ran")
        #expect(fixture.store.pendingKinds == ["read"])
        fixture.commit()
        #expect(fixture.store.pendingKinds == ["read"], "SAY two is held behind the read, not staged")
        fixture.store.completeNext()
        let afterRead = alice.link.take()
        #expect(afterRead.count == 2 && afterRead[0].hasSuffix(" #lobby alice cert one") && afterRead[1] == "OK HISTORY #lobby 1", "\(afterRead)")
        fixture.commit()
        fixture.store.completeAll()
        #expect(alice.link.take() == ["OK SAY #lobby sent 0/0", "OK PING p", "ERR RATE_LIMITED too many commands; slow down"])
    }

    @Test("SAY, PING and a refusal behind a pending read wait for it; a HISTORY reply is its lines, then OK")
    func orderBehindAPendingRead() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        fixture.feed(alice, ["SAY old"])
        fixture.commit()
        fixture.store.completeAll()
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(bob, ["HISTORY #lobby", "SAY new", "WHOAMI", "HISTORY #lobby"])
        fixture.core.refuseRateLimited(bob.session)
        fixture.commit()
        #expect(bob.link.take() == [] && alice.link.take() == [])
        #expect(fixture.store.pendingKinds == ["read"], "nothing staged while the read is pending")
        fixture.store.completeNext()
        #expect(verbs(bob.link.take()) == ["HIST \(try #require(fixture.store.inner.messages(in: .room("#lobby"), .latest, limit: 1).first).id)", "OK HISTORY"])
        fixture.commit()
        #expect(fixture.store.pendingKinds == ["append"])
        fixture.store.completeNext()
        #expect(alice.link.take() == ["MSG #lobby bob cert new"])
        #expect(verbs(bob.link.take()) == ["OK SAY", "OK WHOAMI"], "the second HISTORY waits for its own read")
        fixture.store.completeNext()
        #expect(verbs(bob.link.take()).suffix(2) == ["OK HISTORY", "ERR RATE_LIMITED"])
    }

    @Test("a failed delayed append: delivered anyway, the sender hears 'unstored'")
    func failedAppendStillDelivers() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        alice.send("CAP REQ history")
        _ = bob.link.take()
        fixture.store.appendFailure = HistoryError(.failed, "no acknowledgement")
        fixture.feed(alice, ["SAY lost?", "PING"])
        fixture.commit()
        #expect(alice.link.take() == [] && bob.link.take() == [])
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK SAY #lobby sent 1/1 unstored", "OK PING"])
        #expect(bob.link.take() == ["MSG #lobby alice cert lost?"])
        #expect(fixture.failures.map(\.description) == ["no acknowledgement"] && fixture.batches == [false])
        fixture.store.appendFailure = nil
        fixture.feed(alice, ["SAY kept"])
        fixture.commit()
        fixture.store.completeNext()
        #expect(alice.link.take().first?.hasPrefix("OK SAY #lobby sent 1/1 id=") == true)
        #expect(fixture.batches == [false, true])
    }

    @Test("a session that ends while its read or its commit is pending gets nothing; its message is delivered once")
    func sessionsEndingWhileWaiting() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob"), carol = Client(fixture.core, cert: "carol")
        _ = alice.link.take(); _ = bob.link.take(); _ = carol.link.take()
        fixture.feed(bob, ["HISTORY #lobby", "SAY behind the read"])
        fixture.core.disconnect(bob.session)
        #expect(alice.link.take() == ["PARTED #lobby bob cert quit"])
        fixture.feed(alice, ["SAY going", "PING"])
        fixture.commit()
        fixture.core.disconnect(alice.session)
        #expect(fixture.store.pendingKinds == ["read", "append"])
        fixture.store.completeAll()
        fixture.commit()
        #expect(fixture.store.pendingKinds == [], "nothing of bob's held input ran")
        #expect(bob.link.take() == [], "no reply after bob's connection closed")
        #expect(alice.link.take() == [], "no OK after alice's connection closed")
        #expect(carol.link.take() == ["PARTED #lobby bob cert quit", "PARTED #lobby alice cert quit", "MSG #lobby alice cert going"])
        #expect(try fixture.storedTexts("#lobby") == ["going"])
    }

    @Test("replacement and shutdown while a batch is in flight: no reply after the close, nothing delivered twice")
    func replacementAndShutdownWhileInFlight() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(alice, ["SAY in flight"])
        fixture.commit()
        fixture.feed(alice, ["SAY staged"])
        let second = Client(fixture.core, cert: "alice")
        #expect(alice.link.take() == ["NOTICE replaced another connection signed in with your certificate"])
        fixture.store.completeAll()
        fixture.commit()
        fixture.store.completeAll()
        #expect(alice.link.take() == [])
        #expect(bob.link.take().filter { $0.hasPrefix("MSG") } == ["MSG #lobby alice cert in flight", "MSG #lobby alice cert staged"])
        _ = second.link.take()
        fixture.feed(second, ["SAY before the shutdown"])
        fixture.commit()
        fixture.core.shutDown()
        _ = bob.link.take()
        second.link.closed = false; bob.link.closed = false  // record anything sent late (the fake drops it after a close)
        fixture.store.completeAll()
        #expect(second.link.take() == ["NOTICE shutdown server is shutting down"], "no OK after the close")
        #expect(bob.link.take() == [], "no delivery after the shutdown")
        #expect(try fixture.storedTexts("#lobby") == ["in flight", "staged", "before the shutdown"])
    }

    @Test("CERTONLY waits for its mark; lower trust cannot join meanwhile; a failed mark is an error")
    func certificateOnlyWaitsForTheMark() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob"), guest = Client(fixture.core)
        bob.send("CAP REQ room-flags")
        alice.send("JOIN #sec"); bob.send("JOIN #sec")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(alice, ["CERTONLY #sec", "PING after"])
        #expect(alice.link.take() == [] && bob.link.take() == [])
        #expect(fixture.store.pendingKinds == ["mark"])
        #expect(guest.send("JOIN #sec").first?.hasPrefix("ERR NOT_ALLOWED #sec admits certificate users only") == true)
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK CERTONLY #sec", "OK PING after"])
        #expect(bob.link.take() == ["NOTICE cert-only #sec admits certificate users only from now on (set by alice)"])
        #expect(try fixture.store.inner.certificateOnlyRooms() == ["#sec"])
        fixture.store.markFailure = HistoryError(.failed, "no acknowledgement")
        alice.send("JOIN #other")
        fixture.feed(alice, ["CERTONLY #other"])
        #expect(alice.link.take() == [])
        fixture.store.completeNext()
        #expect(alice.link.take().first?.hasPrefix("ERR HISTORY_FAILED cannot record the mark") == true)
        #expect(guest.send("JOIN #other").first == "OK JOIN #other 2", "the room stays open when the mark was not kept")
    }

    @Test("join-history: the join waits for its read; a room that moved on meanwhile is read again, so nothing falls between")
    func joinWaitsForItsHistory() throws {
        let fixture = try DelayedHistoryFixture(historyOnJoin: 5)
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        alice.send("JOIN #dev")
        fixture.feed(alice, ["SAY d1"])
        fixture.commit()
        fixture.store.completeAll()
        bob.send("CAP REQ join-history")
        _ = alice.link.take()
        fixture.feed(bob, ["JOIN #dev", "SAY hello"])
        #expect(bob.link.take() == [] && alice.link.take() == [], "no JOINED before the read completes")
        fixture.feed(alice, ["SAY d2"])  // committed while bob's read (which cannot see it) is pending
        fixture.commit()
        #expect(fixture.store.pendingKinds == ["read", "append"])
        #expect(fixture.store.completeNext("append") == "append")
        #expect(alice.link.take() == ["OK SAY #dev sent 0/0"], "bob is not in #dev yet")
        #expect(fixture.store.completeNext() == "read", "the first read, which has no d2")
        #expect(fixture.store.pendingKinds == ["read"], "read again: d2 was delivered while it was pending")
        #expect(bob.link.take() == [])
        fixture.store.completeNext()
        let joined = bob.link.take()
        #expect(joined.count == 3 && joined[0].hasSuffix(" #dev alice cert d1") && joined[1].hasSuffix(" #dev alice cert d2"), "\(joined)")
        #expect(joined.last == "OK JOIN #dev 2")
        fixture.commit()
        fixture.store.completeAll()
        #expect(bob.link.take() == ["OK SAY #dev sent 1/1"])
        #expect(alice.link.take() == ["JOINED #dev bob cert", "MSG #dev bob cert hello"])
    }

    @Test("a store that answers a batch with the wrong number of messages: treated as not stored, logged")
    func wrongAnswerCountIsUnstored() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        alice.send("CAP REQ history")
        _ = bob.link.take()
        fixture.store.appendAnswersOnly = 1
        fixture.feed(alice, ["SAY one", "SAY two"])
        fixture.commit()
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK SAY #lobby sent 1/1 unstored", "OK SAY #lobby sent 1/1 unstored"])
        #expect(bob.link.take() == ["MSG #lobby alice cert one", "MSG #lobby alice cert two"])
        #expect(fixture.failures.map(\.description) == ["the store returned 1 messages for a batch of 2"])
    }

    @Test("a join that waited for its history is checked again: a room that became certificate-only meanwhile refuses it")
    func joinIsCheckedAgainAfterItsRead() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), guest = Client(fixture.core)
        alice.send("JOIN #sec")
        guest.send("CAP REQ join-history")
        fixture.feed(guest, ["JOIN #sec", "WHOAMI"])
        fixture.feed(alice, ["CERTONLY #sec"])
        #expect(fixture.store.pendingKinds == ["read", "mark"])
        fixture.store.completeNext("mark")
        #expect(alice.link.take().last == "OK CERTONLY #sec")
        fixture.store.completeNext("read")
        let replies = guest.link.take()
        #expect(replies.first == "ERR NOT_ALLOWED #sec admits certificate users only; you are tls", "\(replies)")
        #expect(verbs(replies) == ["ERR NOT_ALLOWED", "OK WHOAMI"])
        #expect(alice.send("WHO #sec") == ["OK WHO #sec 1 alice:cert"])
    }

    @Test("input held behind a pending read is bounded: past the limit the session is closed as flooding, after its replies")
    func heldInputIsBounded() throws {
        let fixture = try DelayedHistoryFixture()
        let alice = Client(fixture.core, cert: "alice")
        _ = alice.link.take()
        fixture.feed(alice, ["HISTORY #lobby"] + Array(repeating: "PING", count: 3000))
        fixture.core.lineTooLong(from: alice.session)
        fixture.store.completeNext()
        let replies = alice.link.take()
        #expect(replies.count == 1 + (ChatSession.maximumHeldInput - 1) + 1, "\(replies.count)")
        #expect(replies.first == "OK HISTORY #lobby 0")
        #expect(replies.last == "NOTICE flood too many commands over the rate limit; closing")
        #expect(alice.link.closed)
    }
}
