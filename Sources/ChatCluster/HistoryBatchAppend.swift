// HistoryBatchAppend: one append batch of JetStreamHistoryStore, published
// entry by entry in order. Each publish names the sequence it expects to be
// the subject's last (Nats-Expected-Last-Subject-Sequence) and carries the
// same value as the entry's back pointer (TLSChat-Previous); the last
// sequence comes from the store's memory or, when unknown, from the stream
// (last_by_subj; none: 0). When another writer got there first the server
// answers "wrong last sequence": the subject's last sequence is read again
// and the entry published again, at most `maximumConflictRetries` times per
// entry. The batch completes with the acknowledged sequences as ids, after
// checking they come from our stream, are new (not a duplicate) and strictly
// increase; any other answer fails the whole batch with one line. It owns no
// timer: the batch's PendingCall holds the deadline.
import ChatCore
import NATSClient

final class HistoryBatchAppend {
    private let store: JetStreamHistoryStore
    private let entries: [HistoryEntry]
    private let call: PendingCall<[HistoryEntry]>
    private var stored: [HistoryEntry] = []
    private var conflicts = 0

    init(store: JetStreamHistoryStore, entries: [HistoryEntry], call: PendingCall<[HistoryEntry]>) {
        self.store = store
        self.entries = entries
        self.call = call
    }

    /// Publishes the next entry, or completes when all are stored.
    func next() {
        guard !call.isFinished else { return }
        guard stored.count < entries.count else { return call.finish(.success(stored)) }
        let entry = entries[stored.count]
        let subject = store.subjects.historySubject(entry.scope)
        let payload: [UInt8]
        do {
            payload = try HistoryEntryCodec.encode(entry)
        } catch {
            return call.fail(error)
        }
        if let last = store.lastSequences[subject] {
            return publish(entry, payload, on: subject, expecting: last)
        }
        store.jetStream.lastMessage(stream: store.subjects.historyStream, subject: subject) { [self] result in
            switch result {
            case .success(let message): publish(entry, payload, on: subject, expecting: message.sequence)
            case .failure(.api(_, JetStreamError.noMessageFound, _)): publish(entry, payload, on: subject, expecting: 0)
            case .failure(let error): call.fail(.jetStream(error, doing: "reading the last message of \(subject)"))
            }
        }
    }

    private func publish(_ entry: HistoryEntry, _ payload: [UInt8], on subject: String, expecting last: UInt64) {
        guard !call.isFinished else { return }
        let headers = NATSHeaders([
            ("Nats-Expected-Stream", store.subjects.historyStream),
            ("Nats-Expected-Last-Subject-Sequence", String(last)),
            (HistoryEntryCodec.previousHeader, String(last)),
        ])
        store.jetStream.publish(subject, payload: payload, headers: headers) { [self] result in
            guard !call.isFinished else { return }
            switch result {
            case .success(let ack):
                if let error = check(ack, after: last) {
                    store.rememberLastSequence(nil, of: subject)
                    return call.fail(error)
                }
                store.rememberLastSequence(ack.sequence, of: subject)
                var kept = entry
                kept.id = Int64(ack.sequence)
                stored.append(kept)
                conflicts = 0
                next()
            case .failure(.api(_, JetStreamError.wrongLastSequence, let text)):
                store.rememberLastSequence(nil, of: subject)
                conflicts += 1
                guard conflicts <= JetStreamHistoryStore.maximumConflictRetries else {
                    return call.fail(HistoryError(.failed, "storing a message on \(subject): still conflicting after \(conflicts) tries (\(text))"))
                }
                next()
            case .failure(let error):
                store.rememberLastSequence(nil, of: subject)
                call.fail(.jetStream(error, doing: "storing a message on \(subject)"))
            }
        }
    }

    /// Why an acknowledgement cannot be an id of this batch, or nil when it can.
    private func check(_ ack: PublishAcknowledgement, after last: UInt64) -> HistoryError? {
        if ack.stream != store.subjects.historyStream {
            return HistoryError(.failed, "message acknowledged by stream \(ack.stream), not \(store.subjects.historyStream)")
        }
        if ack.duplicate { return HistoryError(.failed, "message \(ack.sequence) acknowledged as a duplicate") }
        let previousID = stored.last.map { UInt64($0.id) } ?? 0
        if ack.sequence <= max(last, previousID) || ack.sequence > UInt64(Int64.max) {
            return HistoryError(.failed, "acknowledged sequence \(ack.sequence) does not follow \(max(last, previousID))")
        }
        return nil
    }
}
