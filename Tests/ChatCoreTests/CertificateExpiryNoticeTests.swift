// CertificateExpiryNoticeTests: the `NOTICE expiry` rule without a network or a
// clock: a `cert` user whose certificate expires within the warning window (14
// days by default, exactly 14 days included) gets the notice right after HELLO
// and before anyone hears of them; one more second, an anonymous user, an
// unknown clock or a window of 0 (off) gives none.
import ChatCore
import Testing

@Suite("Certificate expiry notice")
struct CertificateExpiryNoticeTests {
    static let now: Int64 = 1_765_000_000  // 2025-12-06 05:46:40 UTC
    static let day: Int64 = 86_400

    func connect(_ core: ChatServerCore, cert: String?, notAfter: Int64?, now: Int64? = now) -> FakeLink {
        let link = FakeLink()
        core.connect(link: link, credentials: ClientCredentials(
            transport: .tls, certificateCommonName: cert, certificateFingerprint: cert.map { _ in "sha256:ab" },
            certificateNotAfter: notAfter), now: now)
        return link
    }

    @Test("exactly 14 days left warns; 14 days and one second does not")
    func fourteenDayBoundary() {
        let atLimit = CertificateExpiryNotice.line(notAfter: Self.now + 14 * Self.day, now: Self.now, warningDays: 14)
        #expect(atLimit == "NOTICE expiry your certificate expires 2025-12-20 05:46 UTC (in 14 days); ask for a new one before then")
        #expect(CertificateExpiryNotice.line(notAfter: Self.now + 14 * Self.day + 1, now: Self.now, warningDays: 14) == nil)
        #expect(CertificateExpiryNotice.line(notAfter: Self.now + 14 * Self.day - 1, now: Self.now, warningDays: 14)?
            .contains("(in 13 days)") == true)
    }

    @Test("the last day and the last hours are worded; an expired certificate or a window of 0 gives nothing")
    func lastDays() {
        #expect(CertificateExpiryNotice.line(notAfter: Self.now + Self.day + 5, now: Self.now, warningDays: 14)?.contains("(in 1 day)") == true)
        #expect(CertificateExpiryNotice.line(notAfter: Self.now + 3600, now: Self.now, warningDays: 14)?.contains("(within a day)") == true)
        #expect(CertificateExpiryNotice.line(notAfter: Self.now, now: Self.now, warningDays: 14) == nil)
        #expect(CertificateExpiryNotice.line(notAfter: Self.now + 3600, now: Self.now, warningDays: 0) == nil)
    }

    @Test("a cert user gets the notice right after HELLO, before the others see JOINED")
    func afterGreeting() {
        let core = ChatServerCore()
        let bob = connect(core, cert: "bob", notAfter: Self.now + 400 * Self.day)
        #expect(bob.take() == ["HELLO chat/1 tlschatd tls bob cert #lobby"], "a long-lived certificate: no notice")
        let alice = connect(core, cert: "alice", notAfter: Self.now + 5 * Self.day)
        #expect(alice.take() == ["HELLO chat/1 tlschatd tls alice cert #lobby",
                                 "NOTICE expiry your certificate expires 2025-12-11 05:46 UTC (in 5 days); ask for a new one before then"])
        #expect(bob.take() == ["JOINED #lobby alice cert"])
    }

    @Test("no notice for an anonymous user, an unusable certificate name, an unknown clock, or with the warning off")
    func noNotice() {
        let core = ChatServerCore()
        let soon = Self.now + 2 * Self.day
        #expect(!connect(core, cert: nil, notAfter: soon).take().contains { $0.hasPrefix("NOTICE expiry") })
        #expect(connect(core, cert: "bad name", notAfter: soon).take().last == "NOTICE identity certificate name not usable as a chat name")
        #expect(connect(core, cert: "carol", notAfter: soon, now: nil).take().count == 1)
        core.certificateExpiryWarningDays = 0
        #expect(connect(core, cert: "dave", notAfter: soon).take().count == 1)
        core.certificateExpiryWarningDays = 1
        #expect(connect(core, cert: "erin", notAfter: soon).take().count == 1, "two days left, a one-day window")
    }
}
