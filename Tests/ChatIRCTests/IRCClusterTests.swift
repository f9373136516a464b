// IRCClusterTests: the IRC edge on a core in cluster mode, where a name is
// claimed cluster-wide only by a live session: an anonymous IRC user starts
// with a guest nick and gets the nick it registered with as soon as the claim
// is granted (or a 433 when it is refused), instead of 433 for every nick.
import ChatCore
import ChatIRC
import Testing

/// A ClusterLink that holds each NICK claim until the test answers it.
final class HeldClaimsLink: ClusterLink {
    var claims: [(Bool) -> Void] = []
    var guestSuffix: String { "n1" }
    var nodeID: String { "n1" }
    var isConnected: Bool { true }
    func userArrived(name: String, trust: Trust, since: Int64, supersedes: String?) {}
    func userLeft(name: String, trust: Trust) {}
    func joined(room: String, name: String, trust: Trust) {}
    func parted(room: String, name: String, trust: Trust, reason: String) {}
    func renamed(from: String, to: String, trust: Trust) {}
    func claim(name: String, completion: @escaping (Bool) -> Void) { claims.append(completion) }
    func release(name: String) {}
    func privateMessage(to recipient: String, node: String, from sender: String, trust: Trust, text: String, id: Int64?) -> Bool { true }
    func certificateOnly(room: String, by name: String) {}
    func roomInterest(_ room: String, hasLocalMembers: Bool) {}
}

@Suite("IRC in cluster mode")
struct IRCClusterTests {
    @Test("an anonymous nick is requested right after registration: guest nick first, then NICK once the cluster grants it")
    func nickAfterRegistration() throws {
        let core = ChatServerCore()
        let link = HeldClaimsLink()
        core.cluster = link
        let client = IRCTestClient(core)
        let welcome = client.register(nick: "carol")
        #expect(welcome.contains { $0.hasPrefix(":tlschatd 001 ^guest1-n1 ") }, "\(welcome)")
        try #require(link.claims.count == 1)
        link.claims.removeFirst()(true)
        #expect(client.take() == [":^guest1-n1!tls@tlschat NICK :^carol"])
        let other = IRCTestClient(core)
        other.register(nick: "dave")
        try #require(link.claims.count == 1)
        link.claims.removeFirst()(false)
        #expect(other.take().commands == ["433"])
    }
}
