// ClusterNaming: the NATS names a cluster of tlschatd nodes uses, all under
// one cluster name (tlschatd --cluster-name, default "main"): the presence
// subject every node hears, each node's own subject, and the key-value
// bucket of claimed names. User names may hold characters NATS forbids in
// subjects and keys ("~", and in principle anything), so a name appears as
// ClusterSubjects.token makes it (hex of its UTF-8 name key). Pure
// functions; the history stream's subjects are in ClusterSubjects.
import ChatCore

public struct ClusterNaming: Sendable, Equatable {
    public let clusterName: String

    /// `clusterName`: 1-32 of a-z 0-9 _ - (it becomes part of subjects and stream names).
    public init?(clusterName: String) {
        guard (1...32).contains(clusterName.count),
              clusterName.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" })
        else { return nil }
        self.clusterName = clusterName
    }

    public var presenceSubject: String { "tlschat.\(clusterName).presence" }
    public func nodeSubject(_ node: String) -> String { "tlschat.\(clusterName).node.\(node)" }
    /// KV bucket names allow A-Z a-z 0-9 _ -.
    public var namesBucket: String { "tlschat_\(clusterName)_names" }

    /// The key of a user name in the names bucket (a subject token: ClusterSubjects.token).
    static func nameKey(_ name: String) -> String {
        ClusterSubjects.token(name)
    }
}
