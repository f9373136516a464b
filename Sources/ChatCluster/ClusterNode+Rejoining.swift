// ClusterNode+Rejoining: what a node does when it rejoins the cluster, after
// NATS came back or when a node it had declared lost is heard again (a
// partition inside NATS healed while this node stayed connected). Events of
// the other side were missed meanwhile, so it asks again: the certificate-only
// marks (through `onRejoined`, which ClusterJoiner wires to the store), and,
// when the separation lasted long enough for another node to count this one
// as gone (`deadAfter`), every anonymous name this node holds
// (ClusterNameClaims.recheckHeld): a name another node took over ends this
// node's user of it. It also asks a node again for its state when a state in
// parts stays incomplete (a part was lost), and rate-limits the log lines of
// refused remote input. It holds no state of its own (ClusterNode does).
import ChatCore
import ChatNet

extension ClusterNode {
    /// How long a state in parts may stay incomplete before its node is asked again.
    static let stalledStateLimit: Duration = .seconds(10)

    func rejoined(checkingNames: Bool) {
        onRejoined?()
        guard checkingNames else { return }
        claims.recheckHeld { [unowned self] key in
            guard let name = ClusterSubjects.name(fromToken: key) else { return }
            log?("warning", "cluster: \(name) was taken on another node while this one was cut off; its user here is disconnected")
            core.nameTakenElsewhere(name)
        }
    }

    /// Asks each node whose state stays half-received for `stalledStateLimit` for it again.
    func askAgainForStalledStates(now: UInt64) {
        for (node, assembly) in stateParts where assembly.isStale(now: now, limit: Self.stalledStateLimit.nanoseconds) {
            stateParts[node] = nil
            log?("warning", "cluster: the state of node \(node) stayed incomplete; asking again")
            var ask = PresenceEvent(.hello, node: nodeID)
            ask.to = node
            _ = send(ask, to: naming.nodeSubject(node))
        }
    }

    /// Logs a refusal of what another node sent: 20 in a burst, then one a second.
    func logRefusal(_ what: String) {
        guard refusalLog.take(now: MonotonicClock.now()) else {
            refusalsNotLogged += 1
            return
        }
        let skipped = refusalsNotLogged > 0 ? " (\(refusalsNotLogged) more not logged before this one)" : ""
        refusalsNotLogged = 0
        log?("warning", "cluster: ignored \(what)\(skipped)")
    }
}
