// NameClaimRecheckTests: after a reconnect a node asks the names bucket (a
// real nats-server's JetStream key-value store) about every anonymous name it
// holds: one another node took over while counting it as dead is given up
// and reported, one the bucket forgot is claimed again, one still ours stays.
@testable import ChatCluster
import ChatNet
import NATSClient
import Testing

@Suite(.serialized) struct NameClaimRecheckTests {
    @Test func aNameTakenOverElsewhereIsReportedLostAndAForgottenOneClaimedAgain() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let bucket = try #require(probe.complete { KeyValueBucket.create(name: "recheck", jetStream: probe.jetStream, completion: $0) }).get()
        let here = ClusterNameClaims(nodeID: "node-a", bucket: bucket, loop: probe.loop)
        let elsewhere = ClusterNameClaims(nodeID: "node-b", bucket: bucket, loop: probe.loop)
        for name in ["~carol", "~dave", "~erin"] {
            #expect(probe.complete { here.claim(name, connected: true, completion: $0) } == true)
        }
        // node-b counted node-a as dead during a partition and took ~carol over.
        elsewhere.isAlive = { _ in false }
        #expect(probe.complete { elsewhere.claim("~carol", connected: true, completion: $0) } == true)
        // The bucket lost ~dave (deleted by hand, say).
        let daveKey = ClusterNaming.nameKey("~dave")
        let dave = try #require(probe.complete { bucket.get(daveKey, completion: $0) }).get()
        _ = probe.complete { bucket.delete(daveKey, revision: try! #require(dave).revision, completion: $0) }
        var lost: [String] = []
        var finished = false
        here.recheckHeld(lost: { lost.append($0) }, finished: { finished = true })
        #expect(probe.run { finished })
        #expect(lost == [ClusterNaming.nameKey("~carol")])
        elsewhere.isAlive = { _ in true }
        #expect(probe.complete { elsewhere.claim("~dave", connected: true, completion: $0) } == false,
                "node-a claimed ~dave again: another node cannot take it")
        #expect(probe.complete { elsewhere.claim("~erin", connected: true, completion: $0) } == false, "~erin is still node-a's")
        #expect(probe.complete { here.claim("~carol", connected: true, completion: $0) } == false, "~carol is node-b's now")
    }
}
