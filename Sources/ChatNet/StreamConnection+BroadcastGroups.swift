// StreamConnection+BroadcastGroups: a connection's side of BroadcastGroup.
// A follower keeps, per group, how much of the group's gather it has taken;
// the rest is still only in the group (and the loop's BroadcastArena). It
// takes it (`takeFollowedBytes`) before anything else is queued on it, when
// it is flushed, and when it starts a graceful close, so its output keeps the
// order things were queued in; bytes of several groups are taken in arena
// order, which is the order they were queued. Taken bytes join `sharedRun`
// when they continue it (nothing else queued), else they are copied into the
// connection's own buffer, exactly as `write(_:sharedAs:)` does. A closed
// connection leaves its groups without taking anything. This file decides
// nothing about who follows what; BroadcastGroup and the layer above do.

struct FollowedGroup {
    let group: BroadcastGroup
    /// How much of the group's current gather this connection has taken (or skipped).
    var position: Int
}

extension StreamConnection {
    func isFollowing(_ group: BroadcastGroup) -> Bool {
        followedGroups.contains { $0.group === group }
    }

    /// Bytes that may still be queued before the output limit: negative once over it.
    var outputHeadroom: Int { maximumBufferedOutput - bufferedOutputByteCount }

    /// Bytes of followed gathers not taken yet.
    var pendingFollowedBytes: Int {
        var pending = 0
        for followed in followedGroups { pending += followed.group.length - followed.position }
        return pending
    }

    func beginFollowing(_ group: BroadcastGroup, at position: Int) {
        followedGroups.append(FollowedGroup(group: group, position: position))
        requestFlush()  // every follower is flushed before the arena its bytes lie in is emptied
    }

    /// Queues every followed byte not taken yet, in the order it was queued; keeps following.
    func takeFollowedBytes() {
        if followedGroups.count == 1 {
            let followed = followedGroups[0]
            followed.group.forEachRange(from: followed.position) { queueShared($0) }
            followedGroups[0].position = followed.group.length
            return
        }
        var ranges: [Range<Int>] = []
        for index in followedGroups.indices {
            let followed = followedGroups[index]
            followed.group.forEachRange(from: followed.position) { ranges.append($0) }
            followedGroups[index].position = followed.group.length
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        for range in ranges { queueShared(range) }
    }

    /// Marks the group's bytes up to `position` as taken without queuing them (the sender's own message).
    func skipFollowed(_ group: BroadcastGroup, to position: Int) {
        guard let index = followedGroups.firstIndex(where: { $0.group === group }) else { return }
        followedGroups[index].position = position
    }

    /// Stops following `group` (what was not taken is dropped: take it first to keep it).
    func endFollowing(_ group: BroadcastGroup) {
        guard let index = followedGroups.firstIndex(where: { $0.group === group }) else { return }
        followedGroups.remove(at: index)
        group.followerLeft()
    }

    /// Stops following every group (closing, or flushed: the gathers end with this flush).
    func leaveFollowedGroups() {
        for followed in followedGroups { followed.group.followerLeft() }
        followedGroups.removeAll(keepingCapacity: followedGroups.count <= 4)
    }

    /// Tells each followed group from when on it must check this follower's limit: each may
    /// grow by an equal share of the room left, so the groups together can never pass the
    /// limit unseen (one of them reaches its share first and checks the exact total). Called
    /// when it starts following, when something else was queued on it, and after a check.
    func refreshFollowedLimits() {
        let share = outputHeadroom / max(1, followedGroups.count)
        for followed in followedGroups {
            followed.group.lowerOverflowLength(to: BroadcastGroup.sum(followed.group.length, share))
        }
    }

    /// Queues an arena range after everything queued so far (the limit was checked by the caller).
    func queueShared(_ placed: Range<Int>) {
        if output.isEmpty && (sharedRun.isEmpty || sharedRun.upperBound == placed.lowerBound) {
            if sharedRun.isEmpty { sharedRunEpoch = loop.broadcastArena.epoch }
            sharedRun = (sharedRun.isEmpty ? placed.lowerBound : sharedRun.lowerBound)..<placed.upperBound
        } else {
            if !sharedRun.isEmpty { keepSharedRun() }
            output.append(loop.broadcastArena.bytes(placed, placedIn: loop.broadcastArena.epoch))
        }
    }
}
