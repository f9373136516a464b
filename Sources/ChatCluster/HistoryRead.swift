// HistoryRead: one page of a scope's history from JetStreamHistoryStore's
// stream, with the SQLite store's meaning (oldest first, at most `limit`
// entries). Messages carry no link to each other, and nats-server 2.9 reads
// a subject only forwards, so a page is found by counting stream messages,
// then read forwards and cut to entries (a stream message holds one or more
// entries, HistoryEntryCodec, so `limit` messages hold at least `limit`):
//   - count: the `num_pending` of an ephemeral pull consumer filtered on the
//     subject and starting at sequence X is the number of the subject's
//     messages in [X, end]; count[X, B) = pending(X) - pending(B). Creating
//     one is a "probe" (one request; it delivers nothing until fetched).
//   - .latest and .before(id): B is the subject's last sequence + 1
//     (last_by_subj), or the id's message (HistoryPosition) when that is
//     lower: B is that message for its first entry or a single-entry message,
//     one past it when entries of it lie below the id (then it counts only
//     those: at least one). X starts at B - 2*limit and the step doubles
//     while count[X, B) < limit (or X reaches 1: the whole subject is short);
//     when the count found is over 2*limit, X is narrowed by bisection
//     between the last short and the first long point.
//     A dense room costs two or three probes, a sparse room in a busy stream
//     about log2(B); at most `maximumProbes`. The consumer at X then fetches
//     count[X, B) messages in one pull (CONSUMER.MSG.NEXT, batch, no_wait).
//     Memory stays bounded by the page: only raw payloads that can still hold
//     one of the last `limit` entries are kept (their entry counts read from
//     the header line), the others dropped from the front; the kept ones are
//     decoded at the end and the page is their last `limit` entries below the
//     id.
//   - .after(id): a consumer starting at the id's message (the next one for
//     a single-entry message) pulls a few messages at a time, decoding each
//     as it comes and keeping entries above the id until the page is full
//     (HistoryRead+Forwards).
// Ids no message can have (HistoryPosition) read by their value: 0 or below
// starts AFTER at the beginning and ends BEFORE at once; one between the two
// id ranges is above every single-entry id and below every batch id (such a
// page may come out short: no server hands out those ids).
// A pull fetch is one request whose answers stream back, where next_by_subj
// steps would cost one round trip per message. Every consumer is deleted
// when it is no longer needed (and expires after `consumerIdleLimit` if that
// request is lost). A probe that gets no answer (a NATS server died and
// JetStream is electing its metadata leader, which creates consumers) is
// asked again after a pause, within the probe budget. Fetched messages must
// be of the subject and increase, or the page fails as corrupt; a message
// that cannot be decoded, or an entry of it no client could have sent
// (HistoryEntryCodec), is left out (such a page may hold fewer entries than
// it could). Everything runs under the read's PendingCall deadline; messages
// removed by the stream's limits are simply not counted.
import ChatCore
import NATSClient

final class HistoryRead {
    /// Counting probes one read may make before it fails.
    static let maximumProbes = 64
    /// How long an abandoned consumer lives on the server.
    static let consumerIdleLimit: Duration = .seconds(5)

    let store: JetStreamHistoryStore
    let scope: HistoryScope
    let subject: String
    private let range: HistoryRange
    let limit: Int
    let call: PendingCall<[HistoryEntry]>
    var stream: String { store.subjects.historyStream }
    private var probes = 0
    /// The page's exclusive upper bound and pending(bound).
    private var bound: UInt64 = 0
    private var pendingAtBound: UInt64 = 0
    /// The last start known to hold fewer than `limit` messages before `bound`.
    private var short: UInt64 = 0
    /// .before: only entries below this id; .after: only entries above it.
    private var belowID: Int64 = .max
    var aboveID: Int64 = .min
    /// .before an id inside a message: that message's sequence and how many of its entries lie below the id.
    private var partial: (sequence: UInt64, entries: Int)?
    /// .latest and .before: raw messages that may still hold page entries (from `head` on).
    private var kept: [(sequence: UInt64, payload: [UInt8], entries: Int)] = []
    private var head = 0
    private var keptEntries = 0
    /// .after: the page so far, and the sequence of the last message read.
    var collected: [HistoryEntry] = []
    var lastSequence: UInt64 = 0
    var forwardMessages = 0

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
            var below: UInt64 = .max
            if case .before(let id) = range {
                belowID = id
                if let position = HistoryPosition(id: id) {
                    below = position.sequence
                    if position.isBatch && position.index > 0 {
                        below += 1
                        partial = (position.sequence, position.index)
                    }
                } else {
                    below = id <= 0 ? 0 : UInt64(HistoryPosition.batchBase)
                }
            }
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
            aboveID = id
            var start: UInt64 = 1
            if let position = HistoryPosition(id: id) { start = position.isBatch ? position.sequence : position.sequence + 1 }
            probe(start) { [self] pending, consumer in
                readForwards(consumer, batch: min(limit + 1, Self.firstForwardBatch), available: pending, round: 1)
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

    /// Tries X = bound - step; doubles the step while X holds fewer than `limit` messages.
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
    func probe(_ start: UInt64, then: @escaping (UInt64, String) -> Void) {
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

    /// .latest and .before: fetches up to `count` messages from `consumer` below `bound` and
    /// makes the page of them.
    private func read(_ consumer: String, count: Int, below bound: UInt64) {
        guard !call.isFinished else { return delete(consumer) }
        guard count > 0 else {
            delete(consumer)
            return call.finish(.success([]))
        }
        var corrupt: HistoryError?
        var lastSequence: UInt64 = 0
        store.readMessagesRequested += count
        store.jetStream.fetch(stream: stream, consumer: consumer, batch: count, timeout: store.configuration.readDeadline,
                              receive: { [self] metadata, message in
            let sequence = metadata.streamSequence
            guard sequence < bound else { return false }
            guard message.subject == subject, sequence > lastSequence else {
                corrupt = HistoryError(.corrupt, "reading \(subject) gave \(message.subject) \(sequence) after \(lastSequence)")
                return false
            }
            lastSequence = sequence
            keep(message.payload, sequence: sequence)
            return true
        }, completion: { [self] result in
            delete(consumer)
            if let corrupt { return call.fail(corrupt) }
            switch result {
            case .success: call.finish(.success(keptPage()))
            case .failure(let error): fail(error)
            }
        })
    }

    /// .latest and .before: keeps the raw message while it may hold one of the last `limit`
    /// entries, dropping from the front what the newer ones make unneeded.
    private func keep(_ payload: [UInt8], sequence: UInt64) {
        var entries = HistoryEntryCodec.entryCount(payload) ?? 0
        if let partial, partial.sequence == sequence { entries = min(entries, partial.entries) }
        guard entries > 0 else { return }
        kept.append((sequence, payload, entries))
        keptEntries += entries
        while head < kept.count - 1 && keptEntries - kept[head].entries >= limit {
            keptEntries -= kept[head].entries
            kept[head].payload = []
            head += 1
        }
    }

    /// The last `limit` entries below the id of the kept messages.
    private func keptPage() -> [HistoryEntry] {
        var page: [HistoryEntry] = []
        for message in kept[head...] {
            guard let decoded = try? HistoryEntryCodec.decode(message.payload, scope: scope, sequence: message.sequence) else { continue }
            page.append(contentsOf: decoded.entries.lazy.filter { $0.id < self.belowID })
        }
        return Array(page.suffix(limit))
    }

    // MARK: Ending

    func delete(_ consumer: String) {
        store.jetStream.deleteConsumer(stream: stream, consumer: consumer) { _ in }  // else it expires by itself
    }

    func fail(_ error: JetStreamError) {
        call.fail(.jetStream(error, doing: "reading the history of \(subject)"))
    }
}
