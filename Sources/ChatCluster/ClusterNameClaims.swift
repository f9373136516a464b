// ClusterNameClaims: anonymous names unique across a cluster, claimed in a
// JetStream key-value bucket (KeyValueBucket) whose key is the name's hex key
// and whose value is the id of the node holding it. A claim is an atomic
// create (only if the key is absent); a key held by a node that is no longer
// alive is taken over with compare-and-set on its revision, so two nodes
// racing for a stale name cannot both win. A release deletes the key only
// while this node holds it (compare-and-set again) and no later claim of
// this node took it back meanwhile; a release asked for while NATS is
// unreachable is kept (bounded) and done after the reconnect, when every
// name still held is also checked again (`recheckHeld`): another node may
// have taken one over while it counted this node as dead, and this node's
// user of that name must then give it up. Without a
// bucket, or while NATS is unreachable, a claim fails: a name taken while the
// cluster cannot be asked could be taken twice. Completions always run on
// the loop, on a later turn than the call. It knows nothing about sessions.
import ChatNet
import NATSClient

final class ClusterNameClaims {
    let nodeID: String
    private let bucket: KeyValueBucket?
    private let loop: EventLoop
    /// Whether a node id belongs to a live node (ClusterNode answers from its heartbeats).
    var isAlive: (String) -> Bool = { _ in true }
    /// Keys this node claimed and has not released: a release never deletes one of these.
    private var held: Set<String> = []
    /// Releases asked for while NATS was unreachable, done after the reconnect.
    private var releasesPending: Set<String> = []
    static let maximumPendingReleases = 65_536

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
        let granted: (Bool) -> Void = { [self] ok in
            if ok {
                held.insert(key)
                releasesPending.remove(key)
            }
            answer(ok)
        }
        bucket.create(key, ours) { [self] result in
            switch result {
            case .success: granted(true)
            case .failure(.keyExists), .failure(.wrongRevision):
                bucket.get(key) { [self] current in
                    guard case .success(let entry?) = current else { return answer(false) }
                    let holder = String(decoding: entry.value, as: UTF8.self)
                    if holder == nodeID { return granted(true) }
                    guard !isAlive(holder) else { return answer(false) }
                    bucket.update(key, ours, revision: entry.revision) { granted((try? $0.get()) != nil) }
                }
            case .failure: answer(false)
            }
        }
    }

    func release(_ name: String, connected: Bool) {
        let key = ClusterNaming.nameKey(name)
        held.remove(key)
        guard connected else {
            if releasesPending.count < Self.maximumPendingReleases { releasesPending.insert(key) }
            return
        }
        performRelease(key)
    }

    /// After a reconnect: the releases asked for while NATS was unreachable.
    func retryPendingReleases() {
        let keys = releasesPending
        releasesPending = []
        for key in keys where !held.contains(key) { performRelease(key) }
    }

    private func performRelease(_ key: String) {
        guard let bucket else { return }
        bucket.get(key) { [self] current in
            guard case .success(let entry?) = current, String(decoding: entry.value, as: UTF8.self) == nodeID,
                  !held.contains(key) else { return }  // claimed again by this node meanwhile
            bucket.delete(key, revision: entry.revision) { _ in }
        }
    }

    /// Questions `recheckHeld` keeps outstanding at once (the client bounds its requests).
    static let concurrentRechecks = 32

    /// After a reconnect or a healed partition: asks the bucket about every name this node
    /// holds, at most `concurrentRechecks` at a time. One another node took over meanwhile
    /// (it counted this node as dead) is no longer held and is reported to `lost` with its
    /// key; one the bucket no longer has is created again (or reported lost if another node
    /// created it first; released meanwhile, it is deleted again). A question that fails
    /// keeps the name. `finished` runs once every name has been answered for.
    func recheckHeld(lost: @escaping (_ key: String) -> Void, finished: @escaping () -> Void = {}) {
        guard let bucket, !held.isEmpty else { return finished() }
        let ours = Array(nodeID.utf8)
        let keys = held.sorted()
        var next = 0, outstanding = 0
        func ask() {
            while next < keys.count && outstanding < Self.concurrentRechecks {
                let key = keys[next]
                next += 1
                outstanding += 1
                check(key) {
                    outstanding -= 1
                    if next < keys.count { ask() } else if outstanding == 0 { finished() }
                }
            }
        }
        func check(_ key: String, answered: @escaping () -> Void) {
            bucket.get(key) { [self] current in
                let giveUp = { [self] in
                    held.remove(key)
                    lost(key)
                }
                switch current {
                case .success(let entry?) where held.contains(key) && String(decoding: entry.value, as: UTF8.self) != nodeID:
                    giveUp()
                case .success(nil) where held.contains(key):
                    return bucket.create(key, ours) { [self] result in
                        switch result {
                        case .failure(.keyExists): giveUp()
                        case .success where !held.contains(key): performRelease(key)  // given up while asking
                        default: break
                        }
                        answered()
                    }
                default: break  // ours, released meanwhile, or unknown (kept)
                }
                answered()
            }
        }
        ask()
    }

    /// `completion`, always run on a later loop turn (the contract: never inside the call).
    private func later(_ completion: @escaping (Bool) -> Void) -> (Bool) -> Void {
        { [loop] value in _ = loop.schedule(after: .zero) { completion(value) } }
    }
}
