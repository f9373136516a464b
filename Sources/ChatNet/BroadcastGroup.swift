// BroadcastGroup: connections that receive the same run of broadcasts in one
// flush, such as a room's members, gathered once per flush instead of once
// per message. A fan-out that queues each message on every recipient costs a
// call per recipient per message; a group is joined once per flush by each
// follower (`follow`), after which a message costs one `append` however many
// follow, and each follower writes what it missed straight from the loop's
// BroadcastArena when it is flushed.
//
// Order is kept per connection: a follower that is given anything else (a
// reply, a private line, another broadcast) first takes the group's bytes it
// has not taken yet (StreamConnection+BroadcastGroups), so it always writes
// in the order things were queued, and the sender `append` excludes takes
// what came before its message and skips the message itself. The output
// limit holds as for single writes: the group remembers the smallest length
// at which some follower could exceed its limit (a follower of k groups gives
// each a k-th of its room) and, when a message passes it, checks every
// follower's exact total and closes those over the limit, so a slow reader is
// cut off by the message that overflows it and is not counted as reached.
// Each group keeps its own copy of what it is given (also of a message given
// to two groups), so a follower of several groups can merge them by arena
// position.
// A gather lasts until the loop's next flush (the arena's epoch) or `stop`.
// New followers are refused while the loop flushes; the caller then writes to
// each recipient itself. It knows nothing about rooms or chat.

public final class BroadcastGroup {
    /// A run of the group's bytes that lies contiguously in the arena; `start` is
    /// its offset in everything the group gathered this flush.
    struct Piece {
        var arena: Range<Int>
        var start: Int
    }

    private let loop: EventLoop
    /// The arena epoch of the current gather (-1: not gathering).
    private var epoch = -1
    private(set) var pieces: [Piece] = []
    /// Bytes gathered in the current gather.
    private(set) var length = 0
    /// Everyone who followed during this gather, including those that left since
    /// (they no longer list the group: `StreamConnection.isFollowing`).
    private var followers: [StreamConnection] = []
    /// Followers that still follow.
    public private(set) var followerCount = 0
    /// No follower can exceed its output limit before `length` passes this (a lower bound).
    private var overflowLength = Int.max

    public init(loop: EventLoop) { self.loop = loop }

    /// Whether the current gather is on: its followers are set and `append` reaches them.
    public var isGathering: Bool { epoch == loop.broadcastArena.epoch && !loop.isFlushing }

    /// Whether a gather may start (not while the loop writes its flush).
    public var canGather: Bool { !loop.isFlushing }

    /// Starts a new gather with no follower, handing any earlier one's bytes to its
    /// followers first. Returns false while the loop is flushing.
    public func start() -> Bool {
        guard canGather else { return false }
        stop()
        epoch = loop.broadcastArena.epoch
        loop.noteGathering(self)
        return true
    }

    /// Adds `connection` as a follower of the current gather, from this point on.
    /// Returns false (nothing changes) when it cannot follow: not gathering, or the
    /// connection is not open.
    public func follow(_ connection: StreamConnection) -> Bool {
        guard isGathering, connection.state == .open, !connection.isFollowing(self) else { return false }
        connection.beginFollowing(self, at: length)
        followers.append(connection)
        followerCount += 1
        connection.refreshFollowedLimits()
        return true
    }

    /// Queues `bytes` (stored once in the arena under `key`, as `StreamConnection.write(_:sharedAs:)`)
    /// for every follower except `excluded`. Returns how many followers it reached
    /// (followers closed for exceeding their output limit are not counted).
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer, key: AnyObject, except excluded: StreamConnection? = nil) -> Int {
        precondition(isGathering, "BroadcastGroup.append outside a gather")
        let skipping = excluded.map { $0.isFollowing(self) } ?? false
        guard bytes.count > 0, followerCount > (skipping ? 1 : 0) else { return followerCount - (skipping ? 1 : 0) }
        if skipping { excluded!.takeFollowedBytes() }  // what came before its own message
        let placed = loop.broadcastArena.placeCopy(bytes, key: key)
        if let last = pieces.indices.last, pieces[last].arena.upperBound == placed.lowerBound {
            pieces[last].arena = pieces[last].arena.lowerBound..<placed.upperBound
        } else {
            pieces.append(Piece(arena: placed, start: length))
        }
        length += placed.count
        if skipping { excluded!.skipFollowed(self, to: length) }
        if length > overflowLength { closeFollowersOverLimit() }
        return followerCount - (skipping && excluded!.isFollowing(self) ? 1 : 0)
    }

    /// Ends the gather: every follower takes what it has not taken yet and stops
    /// following. The next `start` begins a new one.
    public func stop() {
        for connection in followers where connection.isFollowing(self) {
            connection.takeFollowedBytes()
            connection.endFollowing(self)
        }
        reset()
    }

    /// The arena's placements of this gather's bytes from `position` on, in order.
    func forEachRange(from position: Int, _ body: (Range<Int>) -> Void) {
        guard position < length else { return }
        assert(epoch == loop.broadcastArena.epoch, "a gather's ranges outlived the flush they were placed for")
        var low = 0, high = pieces.count - 1  // the last piece starting at or before `position`
        while low < high {
            let middle = (low + high + 1) / 2
            if pieces[middle].start <= position { low = middle } else { high = middle - 1 }
        }
        for index in low..<pieces.count {
            let piece = pieces[index]
            let skip = max(0, position - piece.start)
            body((piece.arena.lowerBound + skip)..<piece.arena.upperBound)
        }
    }

    /// A follower's queue grew by other means: it may now overflow sooner.
    func lowerOverflowLength(to candidate: Int) {
        if candidate < overflowLength { overflowLength = candidate }
    }

    /// `length + room`, or Int.max when a connection has no practical limit.
    static func sum(_ length: Int, _ room: Int) -> Int {
        room > Int.max - length ? Int.max : length + room
    }

    /// A follower stopped following (it was closed, or took its bytes for good).
    func followerLeft() { followerCount -= 1 }

    /// Forgets the gather (the arena it pointed into is being emptied, or it stopped).
    func reset() {
        epoch = -1
        pieces.removeAll(keepingCapacity: pieces.count <= 1024)
        length = 0
        followers.removeAll(keepingCapacity: followers.count <= 4096)
        followerCount = 0
        overflowLength = Int.max
    }

    private func closeFollowersOverLimit() {
        overflowLength = Int.max
        for connection in followers where connection.isFollowing(self) {
            if connection.outputHeadroom < 0 {
                connection.finish(.outputLimitExceeded(connection.maximumBufferedOutput))
            } else {
                connection.refreshFollowedLimits()
            }
        }
    }
}
