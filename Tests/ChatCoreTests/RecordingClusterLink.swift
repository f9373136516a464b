// RecordingClusterLink: a ClusterLink for the chat core's unit tests: it
// records what the core announces (one line per call) and holds NICK claims
// until the test answers them, as a cluster that answers later would. The
// real link (ChatCluster's ClusterNode over nats-server) is tested in
// Tests/ChatNetTests/ClusterTests.
import ChatCore

final class RecordingClusterLink: ClusterLink {
    var calls: [String] = []
    var pendingClaims: [(name: String, completion: (Bool) -> Void)] = []
    var isConnected = true
    var guestSuffix: String { "n1" }
    var nodeID: String { "n1" }

    func take() -> [String] { defer { calls = [] }; return calls }

    func userArrived(name: String, trust: Trust, since: Int64, supersedes: String?) {
        calls.append("arrive \(name) \(trust.rawValue)" + (supersedes.map { " after \($0)" } ?? ""))
    }
    func userLeft(name: String, trust: Trust) { calls.append("leave \(name)") }
    func joined(room: String, name: String, trust: Trust) { calls.append("join \(room) \(name)") }
    func parted(room: String, name: String, trust: Trust, reason: String) { calls.append("part \(room) \(name) \(reason)") }
    func renamed(from: String, to: String, trust: Trust) { calls.append("rename \(from) \(to)") }
    func claim(name: String, completion: @escaping (Bool) -> Void) {
        calls.append("claim \(name)")
        pendingClaims.append((name, completion))
    }
    func release(name: String) { calls.append("release \(name)") }
    func privateMessage(to recipient: String, node: String, from sender: String, trust: Trust, text: String, id: Int64?) -> Bool {
        calls.append("priv \(node) \(recipient) \(sender) \(text)" + (id.map { " id=\($0)" } ?? ""))
        return isConnected
    }
    func certificateOnly(room: String, by name: String) { calls.append("certonly \(room) \(name)") }
    func roomInterest(_ room: String, hasLocalMembers: Bool) { calls.append("interest \(room) \(hasLocalMembers)") }

    func answerClaim(_ granted: Bool) {
        let claim = pendingClaims.removeFirst()
        claim.completion(granted)
    }
}
