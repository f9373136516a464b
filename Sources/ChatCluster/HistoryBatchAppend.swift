// HistoryBatchAppend: one append batch of JetStreamHistoryStore. The
// batch's entries are cut into runs of consecutive entries of one scope, each
// run stored as ONE stream message (HistoryEntryCodec "c2") of at most
// `maximumEntries` entries and about `maximumPayload` bytes (never above the
// server's max_payload): a commit of 40 messages to one room is one publish,
// [A1, B1, A2] three, so ids still increase in entry order. Every message is
// published at once, in order, on the store's one NATS connection (no
// compare-and-set, no back pointer: nothing to wait for between them), each
// with its own Nats-Msg-Id (the store's random prefix and a counter), so a
// re-publish of the same message is recognised by the stream's duplicate
// window and acknowledged with the original sequence (`duplicate: true`,
// counted as stored). The batch completes when every message is
// acknowledged; entry i of the message at sequence S gets the id
// HistoryPosition.batchID(S, i), after checking that the sequences come from
// our stream and the ids strictly increase in entry order (one connection,
// one stream: they do).
//
// Failover: when the connection drops with messages unacknowledged, the batch
// waits up to `failoverGrace` for the client to come back (on another seed)
// and then re-publishes the unacknowledged messages with the same ids; an
// acknowledgement of an earlier round that still arrives counts as well. A
// publish that times out or finds no responder (a stream electing a leader)
// is re-published after a pause that doubles from 100 ms up to 1 s. The
// batch fails when the grace runs out, after `maximumPublishRounds`
// publishing rounds, on an API error, a server
// -ERR or at its deadline (restarted on each reconnect). JetStream has no
// transactions: messages acknowledged before a failure stay in the stream,
// and the failure names every entry of them (HistoryError.storedIDs) so the
// core does not deliver them twice.
// It owns the grace and pause timers; the PendingCall holds the deadline and
// the exactly-once completion.
import ChatCore
import ChatNet
import NATSClient

final class HistoryBatchAppend {
    private let store: JetStreamHistoryStore
    private let entries: [HistoryEntry]
    private let call: PendingCall<[HistoryEntry]>
    /// The stream messages the entries are stored in, in entry order.
    private var messages: [StoredMessage] = []
    /// The stream sequence of each message, once acknowledged.
    private var acknowledged: [UInt64?] = []
    private var acknowledgedCount = 0
    /// Publishing rounds so far (1 after the first publish of every message).
    private var round = 0
    private var waitingForConnection = false
    private var graceTimer: LoopTimer?
    private var pauseTimer: LoopTimer?

    init(store: JetStreamHistoryStore, entries: [HistoryEntry], call: PendingCall<[HistoryEntry]>) {
        self.store = store
        self.entries = entries
        self.call = call
        call.amendFailure = { [weak self] error in
            guard let self else { return error }
            var amended = error
            for (message, sequence) in zip(messages, acknowledged) {
                guard let sequence else { continue }
                for index in message.entries {
                    if let id = HistoryPosition.batchID(sequence: sequence, index: index - message.entries.lowerBound) {
                        amended.storedIDs[index] = id
                    }
                }
            }
            return amended
        }
    }

    deinit {
        graceTimer?.cancel()
        pauseTimer?.cancel()
    }

    /// Encodes the entries into messages and publishes them all, or waits for the connection
    /// when it is down (`disconnectedFor`: how long it has been down, nil when up).
    func start(disconnectedFor: Duration?) {
        do {
            let payloadLimit = store.maximumMessagePayload
            for run in Self.runs(of: entries, payloadLimit: payloadLimit) {
                messages.append(StoredMessage(subject: store.subjects.historySubject(entries[run.lowerBound].scope),
                                              payload: try HistoryEntryCodec.encode(entries[run]),
                                              messageID: store.nextMessageID(), entries: run))
            }
        } catch {
            return call.fail(error)
        }
        acknowledged = Array(repeating: nil, count: messages.count)
        guard !entries.isEmpty else { return call.finish(.success([])) }
        if let down = disconnectedFor {
            waitForConnection(reason: "the NATS connection is down", grace: store.configuration.failoverGrace - down)
        } else {
            publishUnacknowledged()
        }
    }

    // MARK: Connection events (from the store's observer)

    func connectionLost(_ reason: String) {
        guard !call.isFinished, !waitingForConnection else { return }
        pauseTimer?.cancel()
        waitForConnection(reason: "the NATS connection was lost (\(reason))", grace: store.configuration.failoverGrace)
    }

    func connectionBack() {
        guard !call.isFinished, waitingForConnection else { return }
        waitingForConnection = false
        graceTimer?.cancel()
        graceTimer = nil
        call.restartDeadline(store.configuration.callDeadline)
        publishUnacknowledged()
    }

    /// Ends the batch with `error` (the connection closed, or the server answered -ERR).
    func fail(_ error: HistoryError) { call.fail(error) }

    private func waitForConnection(reason: String, grace: Duration) {
        waitingForConnection = true
        let grace = max(grace, .zero)
        // The deadline must not end the wait before the grace does.
        call.restartDeadline(grace + store.configuration.callDeadline)
        graceTimer?.cancel()
        graceTimer = store.loop.schedule(after: grace) { [weak self] in
            guard let self, self.waitingForConnection else { return }
            self.call.fail(HistoryError(.failed, "storing \(self.entries.count) messages: \(reason) and not back within \(self.store.configuration.failoverGrace)"))
        }
    }

    // MARK: Publishing

    private func publishUnacknowledged() {
        guard !call.isFinished else { return }
        guard round < JetStreamHistoryStore.maximumPublishRounds else {
            return call.fail(HistoryError(.failed, "storing \(entries.count) messages: still unacknowledged after \(round) rounds of publishing"))
        }
        round += 1
        let thisRound = round
        let headers = NATSHeaders([("Nats-Expected-Stream", store.subjects.historyStream)])
        for (index, message) in messages.enumerated() where acknowledged[index] == nil {
            store.jetStream.publish(message.subject, payload: message.payload, headers: headers, messageID: message.messageID,
                                    timeout: store.configuration.publishTimeout) { [self] result in
                received(result, for: index, round: thisRound)
            }
            if call.isFinished { return }  // a publish that failed at once ended the batch
        }
    }

    private func received(_ result: Result<PublishAcknowledgement, JetStreamError>, for index: Int, round sent: Int) {
        guard !call.isFinished, acknowledged[index] == nil else { return }
        switch result {
        case .success(let ack):
            guard ack.stream == store.subjects.historyStream, ack.sequence > 0 else {
                return call.fail(HistoryError(.failed, "message acknowledged as \(ack.stream) \(ack.sequence), not by stream \(store.subjects.historyStream)"))
            }
            guard ack.sequence <= HistoryPosition.maximumBatchSequence else {
                return call.fail(HistoryError(.failed, "stream sequence \(ack.sequence) is beyond the range history ids can name"))
            }
            acknowledged[index] = ack.sequence
            acknowledgedCount += 1
            if acknowledgedCount == messages.count { complete() }
        case .failure(.transport(.timedOut)), .failure(.transport(.noResponders)):
            // Lost in a failover or a leader election: publish again (same ids) unless a newer round is under way.
            guard sent == round, !waitingForConnection, pauseTimer == nil else { return }
            let pause = min(JetStreamHistoryStore.republishPause * (1 << min(round - 1, 4)), .seconds(1))
            pauseTimer = store.loop.schedule(after: pause) { [weak self] in
                self?.pauseTimer = nil
                if self?.waitingForConnection == false { self?.publishUnacknowledged() }
            }
        case .failure(.transport(let error)) where waitingForConnection || sent < round:
            _ = error  // a request of a connection that is gone; the next round publishes the entry again
        case .failure(let error):
            call.fail(.jetStream(error, doing: "storing \(messages[index].entries.count) messages on \(messages[index].subject)"))
        }
    }

    private func complete() {
        var stored = entries
        var previous: Int64 = 0
        for (message, sequence) in zip(messages, acknowledged) {
            for index in message.entries {
                let id = HistoryPosition.batchID(sequence: sequence ?? 0, index: index - message.entries.lowerBound) ?? 0
                guard id > previous else {
                    return call.fail(HistoryError(.failed, "storing \(entries.count) messages: acknowledged id \(id) does not follow \(previous)"))
                }
                stored[index].id = id
                previous = id
            }
        }
        call.finish(.success(stored))
    }

    // MARK: Cutting runs

    /// One stream message of the batch: a run of entries of one scope.
    private struct StoredMessage {
        let subject: String
        let payload: [UInt8]
        let messageID: String
        /// The batch indices of its entries.
        let entries: Range<Int>
    }

    /// The runs of consecutive entries of one scope, each cut at `HistoryEntryCodec.maximumEntries`
    /// entries and before its payload would pass `payloadLimit` bytes (an entry larger than the
    /// limit is a run of its own: the server then refuses it, as it would refuse it alone).
    static func runs(of entries: [HistoryEntry], payloadLimit: Int) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start = 0
        while start < entries.count {
            let scope = entries[start].scope
            var end = start
            var size = 8
            while end < entries.count, end - start < HistoryEntryCodec.maximumEntries, entries[end].scope == scope {
                let added = HistoryEntryCodec.encodedSize(entries[end])
                if end > start && size + added > payloadLimit { break }
                size += added
                end += 1
            }
            runs.append(start..<end)
            start = end
        }
        return runs
    }
}
