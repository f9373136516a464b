// ClusterLink: what the chat core tells the other nodes of a cluster
// (tlschatd --cluster), the counterpart of HistoryStore for presence. The
// core calls it when a user of this node arrives, leaves, joins, parts or is
// renamed, when NICK needs a name that must be unique cluster-wide, and to
// send a private message to a user on another node. The other direction
// (what other nodes did) comes in through ChatServerCore+Cluster. Room
// messages do not pass here: in cluster mode they are stored in the shared
// history (HistoryStore) and every node delivers them, its own included, from
// the room's ordered feed, so all members see one order. An implementation
// never blocks the loop and calls `claim`'s completion exactly once, on the
// loop thread, never from inside the call, within a bounded time. It knows no
// sockets here: this file holds only the interface.

public protocol ClusterLink: AnyObject {
    /// Appended to guest names ("~guest7" becomes "~guest7-<suffix>") so two nodes never
    /// give the same guest name. Valid name characters only, short.
    var guestSuffix: String { get }
    /// This node's id in the cluster (what other nodes name it by).
    var nodeID: String { get }
    /// Whether the other nodes can be reached now (false: this node chats locally only).
    var isConnected: Bool { get }

    /// The first session of `name` on this node began, at `since` (seconds since the epoch);
    /// `supersedes`: the node this one knew held the user then (nil: none known). For a
    /// `cert` user this takes the name over: a node that holds it ends its sessions there,
    /// unless its own began later unbeknown to this one (ChatServerCore.remoteUserArrived).
    func userArrived(name: String, trust: Trust, since: Int64, supersedes: String?)
    /// The last session of `name` on this node ended (its rooms were parted already).
    func userLeft(name: String, trust: Trust)
    func joined(room: String, name: String, trust: Trust)
    func parted(room: String, name: String, trust: Trust, reason: String)
    /// An anonymous user of this node took `to` (after a successful `claim`).
    func renamed(from: String, to: String, trust: Trust)

    /// Reserves the anonymous name `name` cluster-wide for this node, atomically (NICK).
    /// Completes with false when another node's user holds it, or the cluster cannot be
    /// asked (a name taken while the cluster is unreachable could be taken twice).
    func claim(name: String, completion: @escaping (Bool) -> Void)
    /// Gives back a name claimed earlier (renamed away, or its user left).
    func release(name: String)

    /// Hands a private message to `node`, for its user `recipient`. Returns false when it
    /// could not be handed over (the cluster is unreachable).
    func privateMessage(to recipient: String, node: String, from sender: String, trust: Trust, text: String, id: Int64?) -> Bool

    /// A member of this node made `room` certificate-only (CERTONLY; the mark is stored already).
    func certificateOnly(room: String, by name: String)

    /// Whether this node has members in `room` (it then follows the room's feed of messages).
    func roomInterest(_ room: String, hasLocalMembers: Bool)
}
