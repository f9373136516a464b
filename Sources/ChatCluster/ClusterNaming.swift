// ClusterNaming: the NATS names a cluster of tlschatd nodes uses, all under
// one cluster name (tlschatd --cluster-name, default "main"): the presence
// subject every node hears, each node's own subject, and the key-value
// bucket of claimed names. User names may hold characters NATS forbids in
// subjects and keys ("~", and in principle anything), so a name appears as
// the lower-case hex of its UTF-8 name key (NameRules.key). Pure functions;
// the history stream's subjects are in ClusterSubjects.
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

    /// The key of a user name in the names bucket.
    static func nameKey(_ name: String) -> String {
        hex(NameRules.key(name))
    }

    static func hex(_ text: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 2)
        for byte in text.utf8 {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
