// StoreHelpers: opening a JetStreamHistoryStore on a ClusterProbe and calling
// it the way the chat core does (completion-based), run to completion with a
// deadline (and again while a failover lasts); entry builders shared by the store and feed tests.
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
import NATSClient

struct StoreCallTimedOut: Error, CustomStringConvertible {
    let description: String
}

extension ClusterProbe {
    func openStore(cluster name: String = "test", replicas: Int = 1, storage: JetStreamStorage = .file,
                   configure: (inout JetStreamHistoryStore.Configuration) -> Void = { _ in }) throws -> JetStreamHistoryStore {
        var configuration = JetStreamHistoryStore.Configuration(clusterName: name)
        configuration.replicas = replicas
        configuration.storage = storage
        configure(&configuration)
        // A cluster that has just formed may drop JetStream API requests for a while (as tlschatd's
        // ClusterJoiner does, keep asking for up to 20 s).
        let deadline = MonotonicClock.now() + Duration.seconds(20).nanoseconds
        while true {
            let opened = complete { JetStreamHistoryStore.open(jetStream: jetStream, configuration: configuration, completion: $0) }
            do {
                guard let opened else { throw StoreCallTimedOut(description: "open did not complete") }
                return try opened.get()
            } catch where MonotonicClock.now() < deadline {
                run(for: .milliseconds(200)) { false }
            }
        }
    }

    func append(_ store: JetStreamHistoryStore, _ entries: [HistoryEntry]) throws -> [HistoryEntry] {
        guard let result = complete({ store.append(entries, completion: $0) }) else { throw StoreCallTimedOut(description: "append did not complete") }
        return try result.get()
    }

    func read(_ store: JetStreamHistoryStore, _ scope: HistoryScope, _ range: HistoryRange, limit: Int) throws -> [HistoryEntry] {
        guard let result = complete({ store.messages(in: scope, range, limit: limit, completion: $0) }) else {
            throw StoreCallTimedOut(description: "read did not complete")
        }
        return try result.get()
    }

    /// `read`, asked again for up to `patience` while it fails: after a NATS server died,
    /// JetStream needs a few seconds to elect the metadata leader that creates the read's consumers.
    func readAfterFailover(_ store: JetStreamHistoryStore, _ scope: HistoryScope, _ range: HistoryRange, limit: Int,
                           patience: Duration = .seconds(30)) throws -> [HistoryEntry] {
        let deadline = MonotonicClock.now() + patience.nanoseconds
        while true {
            do {
                return try read(store, scope, range, limit: limit)
            } catch where MonotonicClock.now() < deadline {
                run(for: .milliseconds(200)) { false }
            }
        }
    }

    /// Appends `count` messages "m0"... to `room`, one batch of up to 100 at a time.
    func fill(_ store: JetStreamHistoryStore, _ room: String, count: Int, prefix: String = "m") throws -> [HistoryEntry] {
        var stored: [HistoryEntry] = []
        for start in stride(from: 0, to: count, by: 100) {
            stored += try append(store, (start..<min(count, start + 100)).map { roomMessage(room, "\(prefix)\($0)") })
        }
        return stored
    }
}

func roomMessage(_ room: String, _ text: String, sender: String = "alice") -> HistoryEntry {
    HistoryEntry(time: 1_700_000_000_000, scope: .room(room), sender: sender, trust: .cert, text: text)
}

func texts(_ entries: [HistoryEntry]) -> [String] { entries.map(\.text) }

extension StoredRoomBatch {
    /// The batch's entries as history entries of its room (time 0: a feed batch carries none).
    func historyEntries() -> [HistoryEntry] {
        entries.map { HistoryEntry(id: $0.id, time: 0, scope: .room(room), sender: sender(of: $0), trust: $0.trust, text: text(of: $0)) }
    }
}

/// `entries` with time 0, to compare with what a feed batch carries.
func untimed(_ entries: [HistoryEntry]) -> [HistoryEntry] {
    entries.map { var entry = $0; entry.time = 0; return entry }
}
