// LookupTests: ChatServerCore+Lookup, the read-only questions and the chosen
// anonymous name a dialect's edge (the IRC listener) uses: they answer from
// the core's state, send nothing, and a chosen name follows NICK's rules.
import ChatCore
import Testing

@Suite("ChatServerCore lookups")
struct LookupTests {
    @Test("lookUpUser: exact name (ASCII case aside, with its ~), trust, transport, fingerprint and rooms; sends nothing")
    func lookUpUser() throws {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice")
        let guest = Client(core, transport: .plain)
        alice.send("JOIN #dev")
        _ = (alice.link.take(), guest.link.take())
        let found = try #require(core.lookUpUser("ALICE"))
        #expect(found.name == "alice" && found.trust == .cert && found.transport == .tls)
        #expect(found.certificateFingerprint == "sha256:ab" && found.rooms == ["#lobby", "#dev"])
        #expect(core.lookUpUser("guest1") == nil)
        #expect(core.lookUpUser("~guest1")?.trust == .plain)
        #expect(alice.link.lines.isEmpty && guest.link.lines.isEmpty)
    }

    @Test("members(ofRoom:): every member, sorted, not cut at the WHO limit; nil for no such room")
    func members() throws {
        var limits = ChatLimits()
        limits.maximumListedItems = 2
        let core = ChatServerCore(limits: limits)
        let clients = (0..<4).map { _ in Client(core) }
        #expect(clients[0].send("WHO").first?.hasSuffix("+2") == true)
        let all = try #require(core.members(ofRoom: "#LOBBY"))
        #expect(all.map(\.name) == ["~guest1", "~guest2", "~guest3", "~guest4"])
        #expect(core.members(ofRoom: "#nowhere") == nil)
        #expect(core.members(ofRoom: "bad") == nil)
    }

    @Test("availableAnonymousName follows NICK's rules: invalid, reserved (guest names too), in use")
    func availability() {
        let core = ChatServerCore()
        _ = Client(core)  // ~guest1
        #expect(core.availableAnonymousName("carol") == .success("~carol"))
        #expect(core.availableAnonymousName("~carol") == .success("~carol"))
        #expect((try? core.availableAnonymousName("bad!").get()) == nil)
        #expect(core.availableAnonymousName("admin").failureCode == .nameReserved)
        #expect(core.availableAnonymousName("guest9").failureCode == .nameReserved)
        #expect(core.availableAnonymousName("~GUEST1").failureCode == .nameReserved)
        _ = core.connect(link: FakeLink(), credentials: ClientCredentials(transport: .tls), now: nil, anonymousName: "carol")
        #expect(core.availableAnonymousName("Carol").failureCode == .nameInUse)
    }

    @Test("connect with a chosen anonymous name: others first see that name; a certificate user keeps its certificate name")
    func connectWithChosenName() {
        let core = ChatServerCore()
        let watcher = Client(core, cert: "watcher")
        _ = watcher.link.take()
        let link = FakeLink()
        let carol = core.connect(link: link, credentials: ClientCredentials(transport: .tls), now: nil, anonymousName: "carol")
        #expect(carol.name == "~carol")
        #expect(link.lines.first == "HELLO chat/1 tlschatd tls ~carol tls #lobby")
        #expect(watcher.link.take() == ["JOINED #lobby ~carol tls"])
        let taken = core.connect(link: FakeLink(), credentials: ClientCredentials(transport: .tls), now: nil, anonymousName: "carol")
        #expect(taken.name.hasPrefix("~guest"))  // no longer available: a guest name, as for any connection
        let cert = core.connect(link: FakeLink(), credentials: ClientCredentials(transport: .tls, certificateCommonName: "bob",
                                                                                 certificateFingerprint: "sha256:cd"),
                                now: nil, anonymousName: "carol2")
        #expect(cert.name == "bob")
        #expect(core.lookUpUser("~carol2") == nil)
    }
}

extension Result where Failure == CommandError {
    var failureCode: ErrorCode? { if case .failure(let error) = self { error.code } else { nil } }
}
