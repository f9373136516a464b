// HistoryRead: one page of a scope's history from JetStreamHistoryStore's
// stream, with the SQLite store's meaning (oldest first, at most `limit`).
// Messages carry no link to each other, and nats-server 2.9 reads a subject
// only forwards, so a page is found by counting, then read forwards:
//   - count: the `num_pending` of an ephemeral pull consumer filtered on the
//     subject and starting at sequence X is the number of the subject's
//     messages in [X, end]; count[X, B) = pending(X) - pending(B). Creating
//     one is a "probe" (one request; it delivers nothing until fetched).
//   - .latest and .before(id): B is the subject's last sequence + 1
//     (last_by_subj), or `id` when that is lower. X starts at B - 2*limit and the step doubles
//     while count[X, B) < limit (or X reaches 1: the whole subject is short);
//     when the count found is over 2*limit, X is narrowed by bisection
//     between the last short and the first long point. A dense room costs two
//     or three probes, a sparse room in a busy stream about log2(B); at most
//     `maximumProbes`. The consumer at X then fetches count[X, B) messages
//     in one pull (CONSUMER.MSG.NEXT, batch, no_wait) and the page keeps the
//     last `limit` below B.
//   - .after(id): a consumer starting at id + 1 fetches `limit` messages.
// A pull fetch is one request whose answers stream back, where next_by_subj
// steps would cost one round trip per message. Every consumer is deleted
// when it is no longer needed (and expires after `consumerIdleLimit` if that
// request is lost). A probe that gets no answer (a NATS server died and
// JetStream is electing its metadata leader, which creates consumers) is
// asked again after a pause, within the probe budget. Fetched messages must
// be of the subject and increase, or the page fails as corrupt; one whose
// entry no client could have sent (HistoryEntryCodec) is left out. Everything
// runs under the read's PendingCall deadline; messages removed by the
// stream's limits are simply not counted.
import ChatCore
import NATSClient

final class HistoryRead {
    /// Counting probes one read may make before it fails.
    static let maximumProbes = 64
    /// How long an abandoned consumer lives on the server.
    static let consumerIdleLimit: Duration = .seconds(5)

    private let store: JetStreamHistoryStore
    private let scope: HistoryScope
    private let subject: String
    private let range: HistoryRange
    private let limit: Int
    private let call: PendingCall<[HistoryEntry]>
    private var stream: String { store.subjects.historyStream }
    private var probes = 0
    /// The page's exclusive upper bound and pending(bound).
    private var bound: UInt64 = 0
    private var pendingAtBound: UInt64 = 0
    /// The last start known to hold fewer than `limit` messages before `bound`.
    private var short: UInt64 = 0
    private var collected: [HistoryEntry] = []

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
        case .latest, .before:
            let below: UInt64
            if case .before(let id) = range { below = UInt64(max(0, id)) } else { below = .max }
            guard below > 1 else { return call.finish(.success([])) }
            store.jetStream.lastMessage(stream: stream, subject: subject) { [self] result in
                switch result {
                case .success(let last) where last.sequence < below:
                    search(below: last.sequence + 1, pendingThere: 0)
                case .success:  // a bound inside the subject: count what lies from it to the end
                    probe(below) { [self] pending, consumer in
                        delete(consumer)
                        search(below: below, pendingThere: pending)
                    }
                case .failure(.api(_, JetStreamError.noMessageFound, _)): call.finish(.success([]))
                case .failure(let error): fail(error)
                }
            }
        case .after(let id):
            probe(UInt64(max(0, id)) + 1) { [self] _, consumer in
                read(consumer, count: limit, below: .max)
            }
        }
    }

    // MARK: Finding the start

    private func search(below bound: UInt64, pendingThere: UInt64) {
        self.bound = bound
        pendingAtBound = pendingThere
        short = bound
        widen(step: UInt64(2 * limit))
    }

    /// Tries X = bound - step; doubles the step while X holds too few messages.
    private func widen(step: UInt64) {
        let start = bound > step ? bound - step : 1
        probe(start) { [self] pending, consumer in
            let count = counted(pending)
            if count < UInt64(limit) && start > 1 {
                delete(consumer)
                short = start
                return widen(step: step.multipliedReportingOverflow(by: 2).overflow ? .max : step * 2)
            }
            narrow(long: start, count: count, consumer: consumer)
        }
    }

    /// `long` holds `count` >= limit messages before the bound (or is 1): bisect towards
    /// `short` while it holds more than twice the page, then read from it.
    private func narrow(long: UInt64, count: UInt64, consumer: String) {
        guard count > UInt64(2 * limit), short - long > 1 else { return read(consumer, count: Int(min(count, UInt64(4 * limit))), below: bound) }
        let middle = long + (short - long) / 2
        probe(middle) { [self] pending, middleConsumer in
            let middleCount = counted(pending)
            if middleCount >= UInt64(limit) {
                delete(consumer)
                narrow(long: middle, count: middleCount, consumer: middleConsumer)
            } else {
                delete(middleConsumer)
                short = middle
                narrow(long: long, count: count, consumer: consumer)
            }
        }
    }

    /// count[start, bound) from pending(start); 0 when messages removed meanwhile make it negative.
    private func counted(_ pending: UInt64) -> UInt64 { pending > pendingAtBound ? pending - pendingAtBound : 0 }

    /// How long one counting probe waits for its consumer: an ephemeral consumer placed on a
    /// stream peer that is down never answers, and the next attempt is placed anew.
    static let probeTimeout: Duration = .seconds(1)

    /// Creates a pull consumer on the subject starting at `start` and hands over its pending count.
    private func probe(_ start: UInt64, then: @escaping (UInt64, String) -> Void) {
        guard !call.isFinished else { return }
        probes += 1
        store.readProbes += 1
        guard probes <= Self.maximumProbes else {
            return call.fail(HistoryError(.failed, "reading the history of \(subject): no page start found in \(Self.maximumProbes) counting probes"))
        }
        let configuration = PullConsumerConfiguration(filterSubject: subject, start: .sequence(start),
                                                      inactiveThreshold: Self.consumerIdleLimit)
        store.jetStream.createPullConsumer(stream: stream, configuration, timeout: Self.probeTimeout) { [self] result in
            switch result {
            case .success(let info):
                guard !call.isFinished else { return delete(info.name) }
                then(info.pending, info.name)
            case .failure(.transport(.timedOut)), .failure(.transport(.noResponders)):
                // JetStream's metadata leader is being elected, or the consumer was placed on a
                // server of the stream that is down (a NATS server died): ask again shortly; a new
                // consumer is placed anew.
                store.loop.schedule(after: .milliseconds(250)) { [self] in probe(start, then: then) }
            case .failure(let error): fail(error)
            }
        }
    }

    // MARK: Reading

    /// Fetches up to `count` messages from `consumer`, keeping the last `limit` below `bound`.
    private func read(_ consumer: String, count: Int, below bound: UInt64) {
        guard !call.isFinished else { return delete(consumer) }
        guard count > 0 else {
            delete(consumer)
            return call.finish(.success([]))
        }
        var corrupt: HistoryError?
        store.jetStream.fetch(stream: stream, consumer: consumer, batch: count, timeout: store.configuration.readDeadline,
                              receive: { [self] metadata, message in
            let sequence = metadata.streamSequence
            guard sequence < bound else { return false }
            guard message.subject == subject, sequence > UInt64(collected.last?.id ?? 0) else {
                corrupt = HistoryError(.corrupt, "reading \(subject) gave \(message.subject) \(sequence) after \(collected.last?.id ?? 0)")
                return false
            }
            // A message no client could have sent (a broken or hostile node wrote it) is left
            // out, as the room feeds leave it out: one bad message must not fail every page.
            if let entry = try? HistoryEntryCodec.decode(message.payload, scope: scope, sequence: sequence) {
                collected.append(entry)
            }
            return true
        }, completion: { [self] result in
            delete(consumer)
            if let corrupt { return call.fail(corrupt) }
            switch result {
            case .success: call.finish(.success(Array(collected.suffix(limit))))
            case .failure(let error): fail(error)
            }
        })
    }

    // MARK: Ending

    private func delete(_ consumer: String) {
        store.jetStream.deleteConsumer(stream: stream, consumer: consumer) { _ in }  // else it expires by itself
    }

    private func fail(_ error: JetStreamError) {
        call.fail(.jetStream(error, doing: "reading the history of \(subject)"))
    }
}
