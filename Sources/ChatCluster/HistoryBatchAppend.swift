// HistoryBatchAppend: one append batch of JetStreamHistoryStore. Every entry
// is published at once, in order, on the store's one NATS connection (no
// compare-and-set, no back pointer: nothing to wait for between entries), each
// with its own Nats-Msg-Id (the store's random prefix and a counter), so a
// re-publish of the same entry is recognised by the stream's duplicate window
// and acknowledged with the original sequence (`duplicate: true`, counted as
// stored). The batch completes when every entry is acknowledged, with the
// sequences as ids, after checking that they come from our stream and
// strictly increase in entry order (one connection, one stream: they do).
//
// Failover: when the connection drops with entries unacknowledged, the batch
// waits up to `failoverGrace` for the client to come back (on another seed)
// and then re-publishes the unacknowledged entries with the same ids; an
// acknowledgement of an earlier round that still arrives counts as well. A
// publish that times out or finds no responder (a stream electing a leader)
// is re-published after a pause that doubles from 100 ms up to 1 s. The
// batch fails when the grace runs out, after `maximumPublishRounds`
// publishing rounds, on an API error, a server
// -ERR or at its deadline (restarted on each reconnect). JetStream has no
// transactions: entries acknowledged before a failure stay in the stream, and
// the failure names them (HistoryError.storedIDs) so the core does not deliver
// them twice.
// It owns the grace and pause timers; the PendingCall holds the deadline and
// the exactly-once completion.
import ChatCore
import ChatNet
import NATSClient

final class HistoryBatchAppend {
    private let store: JetStreamHistoryStore
    private let entries: [HistoryEntry]
    private let call: PendingCall<[HistoryEntry]>
    private var subjects: [String] = []
    private var payloads: [[UInt8]] = []
    private var messageIDs: [String] = []
    private var acknowledged: [UInt64?]
    private var acknowledgedCount = 0
    /// Publishing rounds so far (1 after the first publish of every entry).
    private var round = 0
    private var waitingForConnection = false
    private var graceTimer: LoopTimer?
    private var pauseTimer: LoopTimer?

    init(store: JetStreamHistoryStore, entries: [HistoryEntry], call: PendingCall<[HistoryEntry]>) {
        self.store = store
        self.entries = entries
        self.call = call
        acknowledged = Array(repeating: nil, count: entries.count)
        call.amendFailure = { [weak self] error in
            guard let self else { return error }
            var amended = error
            for (index, sequence) in acknowledged.enumerated() {
                if let sequence { amended.storedIDs[index] = Int64(clamping: sequence) }
            }
            return amended
        }
    }

    deinit {
        graceTimer?.cancel()
        pauseTimer?.cancel()
    }

    /// Encodes the entries and publishes them all, or waits for the connection when it is
    /// down (`disconnectedFor`: how long it has been down, nil when up).
    func start(disconnectedFor: Duration?) {
        do {
            for entry in entries {
                subjects.append(store.subjects.historySubject(entry.scope))
                payloads.append(try HistoryEntryCodec.encode(entry))
                messageIDs.append(store.nextMessageID())
            }
        } catch {
            return call.fail(error)
        }
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
        for index in entries.indices where acknowledged[index] == nil {
            store.jetStream.publish(subjects[index], payload: payloads[index], headers: headers, messageID: messageIDs[index],
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
            guard ack.stream == store.subjects.historyStream, ack.sequence > 0, ack.sequence <= UInt64(Int64.max) else {
                return call.fail(HistoryError(.failed, "message acknowledged as \(ack.stream) \(ack.sequence), not by stream \(store.subjects.historyStream)"))
            }
            acknowledged[index] = ack.sequence
            acknowledgedCount += 1
            if acknowledgedCount == entries.count { complete() }
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
            call.fail(.jetStream(error, doing: "storing a message on \(subjects[index])"))
        }
    }

    private func complete() {
        let sequences = acknowledged.map { $0 ?? 0 }
        if let bad = zip(sequences, sequences.dropFirst()).first(where: { $0.0 >= $0.1 }) {
            return call.fail(HistoryError(.failed, "storing \(entries.count) messages: acknowledged sequence \(bad.1) does not follow \(bad.0)"))
        }
        var stored = entries
        for index in stored.indices { stored[index].id = Int64(sequences[index]) }
        call.finish(.success(stored))
    }
}
