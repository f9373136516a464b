// ClusterNameClaims: anonymous names unique across a cluster, claimed in a
// JetStream key-value bucket (KeyValueBucket) whose key is the name's hex key
// and whose value is the id of the node holding it. A claim is an atomic
// create (only if the key is absent); a key held by a node that is no longer
// alive is taken over with compare-and-set on its revision, so two nodes
// racing for a stale name cannot both win. A release deletes the key only
// while this node holds it (compare-and-set again). Without a bucket, or
// while NATS is unreachable, a claim fails: a name taken while the cluster
// cannot be asked could be taken twice. Completions always run on the loop,
// after the call has returned. It knows nothing about sessions or rooms.
import ChatNet
import NATSClient

final class ClusterNameClaims {
    let nodeID: String
    private let bucket: KeyValueBucket?
    private let loop: EventLoop
    /// Whether a node id belongs to a live node (ClusterNode answers from its heartbeats).
    var isAlive: (String) -> Bool = { _ in true }

    init(nodeID: String, bucket: KeyValueBucket?, loop: EventLoop) {
        self.nodeID = nodeID
        self.bucket = bucket
        self.loop = loop
    }

    func claim(_ name: String, connected: Bool, completion: @escaping (Bool) -> Void) {
        let answer = later(completion)
        guard connected, let bucket else { return answer(false) }
        let key = ClusterNaming.nameKey(name)
        let ours = Array(nodeID.utf8)
        bucket.create(key, ours) { [self] result in
            switch result {
            case .success: answer(true)
            case .failure(.keyExists), .failure(.wrongRevision):
                bucket.get(key) { [self] current in
                    guard case .success(let entry?) = current else { return answer(false) }
                    let holder = String(decoding: entry.value, as: UTF8.self)
                    if holder == nodeID { return answer(true) }
                    guard !isAlive(holder) else { return answer(false) }
                    bucket.update(key, ours, revision: entry.revision) { answer((try? $0.get()) != nil) }
                }
            case .failure: answer(false)
            }
        }
    }

    func release(_ name: String) {
        guard let bucket else { return }
        let key = ClusterNaming.nameKey(name)
        bucket.get(key) { [self] current in
            guard case .success(let entry?) = current, String(decoding: entry.value, as: UTF8.self) == nodeID else { return }
            bucket.delete(key, revision: entry.revision) { _ in }
        }
    }

    /// `completion`, made to run on a later loop turn when it is called during the call.
    private func later(_ completion: @escaping (Bool) -> Void) -> (Bool) -> Void {
        var returned = false
        defer { returned = true }
        return { [loop] value in
            if returned { completion(value) } else { _ = loop.schedule(after: .zero) { completion(value) } }
        }
    }
}
