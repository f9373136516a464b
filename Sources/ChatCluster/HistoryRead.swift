// HistoryRead: one page of a scope's history from JetStreamHistoryStore's
// stream, with the SQLite store's meaning (oldest first, at most `limit`).
//   .latest     the subject's last message (last_by_subj), then back along
//               the TLSChat-Previous pointers until `limit` or the start;
//   .before(id) the first message at or after `id` (next_by_subj): its
//               pointer is the newest message below `id`; none there: the
//               subject's last message is; then back along the pointers;
//   .after(id)  forwards with next_by_subj from id + 1, `limit` times.
// Each step is one STREAM.MSG.GET; a pointer must name a message of the same
// subject with a smaller sequence (else the page fails as corrupt, which also
// keeps a walk finite), and a pointer to a removed message (age or count
// limit) ends the page there. Steps run one after another, never blocking
// the loop, under the read's PendingCall deadline.
import ChatCore
import NATSClient

final class HistoryRead {
    private let store: JetStreamHistoryStore
    private let scope: HistoryScope
    private let subject: String
    private let range: HistoryRange
    private let limit: Int
    private let call: PendingCall<[HistoryEntry]>
    /// Newest first while walking back; oldest first while walking forwards.
    private var collected: [HistoryEntry] = []
    private var stream: String { store.subjects.historyStream }

    init(store: JetStreamHistoryStore, scope: HistoryScope, range: HistoryRange, limit: Int, call: PendingCall<[HistoryEntry]>) {
        self.store = store
        self.scope = scope
        self.subject = store.subjects.historySubject(scope)
        self.range = range
        self.limit = limit
        self.call = call
    }

    func start() {
        switch range {
        case .latest:
            store.jetStream.lastMessage(stream: stream, subject: subject) { [self] in walkBack(from: $0, below: .max) }
        case .before(let id):
            guard id > 1 else { return call.finish(.success([])) }
            let bound = UInt64(id)
            store.jetStream.nextMessage(stream: stream, subject: subject, atOrAfter: bound) { [self] result in
                switch result {
                case .success(let message): step(to: HistoryEntryCodec.previousSequence(message.headers), below: bound)
                case .failure(.api(_, JetStreamError.noMessageFound, _)):
                    store.jetStream.lastMessage(stream: stream, subject: subject) { [self] in walkBack(from: $0, below: bound) }
                case .failure(let error): fail(error)
                }
            }
        case .after(let id):
            forward(from: UInt64(max(0, id)) + 1)
        }
    }

    // MARK: Backwards

    /// Reads the message at `sequence` (0: the start of the subject) and goes on from it.
    private func step(to sequence: UInt64, below bound: UInt64) {
        guard sequence > 0 else { return done() }
        store.jetStream.message(stream: stream, sequence: sequence) { [self] in walkBack(from: $0, below: bound) }
    }

    private func walkBack(from result: Result<StoredMessage, JetStreamError>, below bound: UInt64) {
        guard !call.isFinished else { return }
        let message: StoredMessage
        switch result {
        case .success(let found): message = found
        case .failure(.api(_, JetStreamError.noMessageFound, _)): return done()  // removed by the limits: history starts here
        case .failure(let error): return fail(error)
        }
        guard message.subject == subject else {
            return call.fail(HistoryError(.corrupt, "message \(message.sequence) of \(message.subject) is linked from \(subject)"))
        }
        let previous = HistoryEntryCodec.previousSequence(message.headers)
        guard previous < message.sequence, message.sequence < (collected.last.map { UInt64($0.id) } ?? .max) else {
            return call.fail(HistoryError(.corrupt, "message \(message.sequence) of \(subject) points forwards to \(previous)"))
        }
        if message.sequence < bound {
            do {
                collected.append(try HistoryEntryCodec.decode(message.payload, scope: scope, sequence: message.sequence))
            } catch {
                return call.fail(error)
            }
            guard collected.count < limit else { return done() }
        }
        step(to: previous, below: bound)
    }

    // MARK: Forwards

    private func forward(from sequence: UInt64) {
        store.jetStream.nextMessage(stream: stream, subject: subject, atOrAfter: sequence) { [self] result in
            guard !call.isFinished else { return }
            switch result {
            case .success(let message):
                guard message.subject == subject, message.sequence >= sequence else {
                    return call.fail(HistoryError(.corrupt, "reading \(subject) from \(sequence) gave \(message.subject) \(message.sequence)"))
                }
                switch Result(catching: { () throws(HistoryError) in
                    try HistoryEntryCodec.decode(message.payload, scope: scope, sequence: message.sequence)
                }) {
                case .success(let entry): collected.append(entry)
                case .failure(let error): return call.fail(error)
                }
                if collected.count < limit { forward(from: message.sequence + 1) } else { done() }
            case .failure(.api(_, JetStreamError.noMessageFound, _)): done()
            case .failure(let error): fail(error)
            }
        }
    }

    // MARK: Ending

    private func done() {
        if case .after = range { call.finish(.success(collected)) } else { call.finish(.success(collected.reversed())) }
    }

    private func fail(_ error: JetStreamError) {
        call.fail(.jetStream(error, doing: "reading the history of \(subject)"))
    }
}
