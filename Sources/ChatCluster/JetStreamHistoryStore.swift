// JetStreamHistoryStore: ChatCore's HistoryStore on one JetStream stream, for
// a cluster of tlschatd nodes sharing history. Layout and encodings are in
// ClusterSubjects and HistoryEntryCodec; a stream message holds a run of
// entries of one scope, and an entry's id comes from its message's stream
// sequence and its index in it (HistoryPosition), so ids increase across all
// scopes and are never reused.
//
// Appends (HistoryBatchAppend) publish a batch's runs all at once, one stream
// message per run (at most 1024 entries, about `maximumBatchBytes`), each
// with its own Nats-Msg-Id and no expectation about the subject's last
// sequence, so nodes writing one room never conflict and a batch costs one
// round trip, not one per entry. A batch whose connection drops is kept for
// `failoverGrace` and re-published (same ids: de-duplicated) once the client
// is back; a node already cut off from NATS for longer than the grace fails
// its batches at once, so it falls back to local chat quickly. A batch fails
// as a whole, but JetStream has no transactions: entries acknowledged before
// the failure stay in the stream.
//
// Reads (HistoryRead) page through one subject without any link between its
// messages: the count of a subject's messages from a sequence on is a pull
// consumer's num_pending, which finds where a page starts (a message holds
// at least one entry); the page is then read forwards with one pull fetch
// and cut to entries. Limits are clamped to 1...1000 (like the
// SQLite store) and a read has one overall deadline. Reads and marks waiting
// when the connection drops fail at once (the caller may ask again).
//
// Certificate-only marks are in a KV bucket without an age limit, loaded by
// `open` before the store is handed out (certificateOnlyRooms is
// synchronous). Retention is the stream's own (max age, max messages per
// subject, which counts stored messages, each holding one or more entries:
// "at least N entries per scope"): pruneStep returns 0. Every completion runs once, on the loop
// thread, never inside the call that started it, within its deadline.
import ChatCore
import ChatNet
import NATSClient

public final class JetStreamHistoryStore: HistoryStore {
    public struct Configuration: Sendable {
        public var clusterName: String
        public var replicas = 1
        public var storage: JetStreamStorage = .file
        /// Messages older than this are removed by the stream (nil: kept).
        public var maximumAge: Duration?
        /// Stream messages kept per room or conversation (nil: no limit). Each holds one or more
        /// chat messages, so at least this many chat messages are kept.
        public var maximumMessagesPerScope: Int?
        /// Payload bytes one stream message of an append stays under (a single larger entry
        /// is a message of its own); never more than the server's max_payload allows.
        public var maximumBatchBytes = 256 * 1024
        /// Deadline of one append batch, one page read, one mark.
        public var callDeadline: Duration = .seconds(5)
        /// Deadline of a page read (a few counting probes and one fetch).
        public var readDeadline: Duration = .seconds(10)
        /// How long an append batch waits for a lost NATS connection to come back before it fails.
        public var failoverGrace: Duration = .seconds(3)
        /// How long one publish waits for its acknowledgement before it is published again.
        public var publishTimeout: Duration = .seconds(2)

        public init(clusterName: String) { self.clusterName = clusterName }
    }

    /// The page sizes `messages(in:_:limit:)` accepts; other limits are clamped into it (as SQLiteHistoryStore).
    public static let limitRange = 1...1000
    /// Publishing rounds of one batch (the first and the re-publishes after a failover or timeout).
    static let maximumPublishRounds = 20
    /// First pause before a batch publishes again after a timeout or "no responders" (doubling up to 1 s).
    static let republishPause: Duration = .milliseconds(100)

    public let jetStream: JetStream
    public let subjects: ClusterSubjects
    public let configuration: Configuration
    let marksBucket: KeyValueBucket
    var loop: EventLoop { jetStream.client.loop }
    private var marks: Set<String>
    /// Reads and marks waiting for JetStream, failed at once when the connection goes.
    private var inFlight: [UInt64: (HistoryError) -> Void] = [:]
    /// Append batches waiting for JetStream: they ride out a reconnect.
    private var batches: [UInt64: HistoryBatchAppend] = [:]
    private var nextCallNumber: UInt64 = 1
    private var observer: UInt64?
    /// When the connection was lost (monotonic ns), nil while it is up.
    private var disconnectedSince: UInt64?
    /// Nats-Msg-Id of this store's entries: "<random prefix>-<counter>".
    let messageIDPrefix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private(set) var nextMessageNumber: UInt64 = 1
    /// Counting probes made by reads so far, and the messages their pulls asked for (diagnostics and tests).
    var readProbes = 0
    var readMessagesRequested = 0

    /// Payload bytes one stored message of an append stays under: `maximumBatchBytes`, and
    /// room for the headers below the server's max_payload.
    var maximumMessagePayload: Int {
        let server = jetStream.client.serverInfo?.maximumPayload ?? 1 << 20
        return max(1024, min(configuration.maximumBatchBytes, server - 1024))
    }

    private init(jetStream: JetStream, subjects: ClusterSubjects, configuration: Configuration,
                 marksBucket: KeyValueBucket, marks: Set<String>) {
        self.jetStream = jetStream
        self.subjects = subjects
        self.configuration = configuration
        self.marksBucket = marksBucket
        self.marks = marks
        observer = jetStream.client.addObserver { [weak self] event in
            self?.connectionEvent(event)
        }
    }

    deinit {
        if let observer { jetStream.client.removeObserver(observer) }
    }

    /// Creates (or updates) the stream and the marks bucket, loads the certificate-only marks,
    /// and completes with a ready store, or with why not. The client must be started.
    public static func open(jetStream: JetStream, configuration: Configuration,
                            completion: @escaping (Result<JetStreamHistoryStore, HistoryError>) -> Void) {
        let subjects: ClusterSubjects
        do {
            subjects = try ClusterSubjects(clusterName: configuration.clusterName)
        } catch {
            return jetStream.client.loop.executeAfterIteration { completion(.failure(error)) }
        }
        let call = PendingCall<JetStreamHistoryStore>(
            loop: jetStream.client.loop, deadline: configuration.callDeadline * 3,
            doing: "opening history stream \(subjects.historyStream)", completion: completion)
        defer { call.started() }
        var stream = StreamConfiguration(name: subjects.historyStream, subjects: [subjects.historyWildcard],
                                         storage: configuration.storage, replicas: configuration.replicas,
                                         maximumAge: configuration.maximumAge)
        stream.maximumMessagesPerSubject = configuration.maximumMessagesPerScope.map { Int64(max(1, $0)) }
        stream.discard = "old"
        let twoMinutes = Int64(120_000_000_000)
        stream.duplicateWindowNanoseconds = stream.maximumAgeNanoseconds > 0 ? min(stream.maximumAgeNanoseconds, twoMinutes) : twoMinutes
        jetStream.createOrUpdateStream(stream) { created in
            if case .failure(let error) = created {
                return call.fail(.jetStream(error, doing: "creating stream \(subjects.historyStream)"))
            }
            KeyValueBucket.create(name: subjects.certificateOnlyBucket, jetStream: jetStream, replicas: configuration.replicas,
                                  storage: configuration.storage) { bucket in
                switch bucket {
                case .failure(let error):
                    call.fail(.jetStream(error, doing: "creating bucket \(subjects.certificateOnlyBucket)"))
                case .success(let bucket):
                    loadMarks(bucket, subjects: subjects) { loaded in
                        call.finish(loaded.map { marks in
                            JetStreamHistoryStore(jetStream: jetStream, subjects: subjects, configuration: configuration,
                                                  marksBucket: bucket, marks: marks)
                        })
                    }
                }
            }
        }
    }

    /// The rooms named by the bucket's keys (each key is a room token).
    private static func loadMarks(_ bucket: KeyValueBucket, subjects: ClusterSubjects,
                                  completion: @escaping (Result<Set<String>, HistoryError>) -> Void) {
        let prefix = "$KV.\(bucket.name)."
        bucket.jetStream.subjects(stream: "KV_\(bucket.name)", matching: prefix + ">") { result in
            completion(result.mapError { .jetStream($0, doing: "reading the certificate-only marks") }.flatMap { found in
                var rooms: Set<String> = []
                for subject in found.keys {
                    guard let room = ClusterSubjects.name(fromToken: subject.dropFirst(prefix.count)) else {
                        return .failure(HistoryError(.corrupt, "certificate-only mark '\(subject.prefix(80))' is not a room token"))
                    }
                    rooms.insert(room)
                }
                return .success(rooms)
            })
        }
    }

    // MARK: HistoryStore

    public func append(_ entries: [HistoryEntry], completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void) {
        let call = PendingCall(loop: loop, deadline: configuration.callDeadline, doing: "storing \(entries.count) messages",
                               completion: completion)
        defer { call.started() }
        var down: Duration?
        if let since = disconnectedSince {
            down = .nanoseconds(Int64(clamping: MonotonicClock.now() &- since))
            if let down, down >= configuration.failoverGrace {
                return call.fail(HistoryError(.failed, "storing \(entries.count) messages: no NATS connection for \(down) (longer than \(configuration.failoverGrace))"))
            }
        }
        let batch = HistoryBatchAppend(store: self, entries: entries, call: call)
        let number = nextCallNumber
        nextCallNumber += 1
        batches[number] = batch
        call.onEnd = { [weak self] in self?.batches[number] = nil }
        batch.start(disconnectedFor: down)
    }

    public func messages(in scope: HistoryScope, _ range: HistoryRange, limit: Int,
                         completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void) {
        let call = track(PendingCall(loop: loop, deadline: configuration.readDeadline, doing: "reading history",
                                     completion: completion))
        defer { call.started() }
        let count = min(max(limit, Self.limitRange.lowerBound), Self.limitRange.upperBound)
        HistoryRead(store: self, scope: scope, range: range, limit: count, call: call).start()
    }

    public func markCertificateOnly(room: String, completion: @escaping (Result<Void, HistoryError>) -> Void) {
        let call = track(PendingCall(loop: loop, deadline: configuration.callDeadline, doing: "marking \(room) certificate-only",
                                     completion: completion))
        defer { call.started() }
        let key = NameRules.key(room)
        marksBucket.put(ClusterSubjects.token(key), Array("1".utf8)) { [weak self] result in
            switch result {
            case .success:
                self?.marks.insert(key)
                call.finish(.success(()))
            case .failure(let error): call.fail(.jetStream(error, doing: "marking \(room) certificate-only"))
            }
        }
    }

    public func certificateOnlyRooms() throws(HistoryError) -> Set<String> { marks }

    /// Reads the marks bucket again (after a reconnect: marks set by other nodes meanwhile
    /// were announced while this node could not hear); completes with the rooms not known before.
    public func reloadCertificateOnlyMarks(completion: @escaping (Result<Set<String>, HistoryError>) -> Void) {
        Self.loadMarks(marksBucket, subjects: subjects) { [weak self] result in
            guard let self else { return }
            completion(result.map { loaded in
                let new = loaded.subtracting(marks)
                marks.formUnion(loaded)
                return new
            })
        }
    }

    public func pruneStep(olderThan: Int64?, keepPerScope: Int?, maximumRows: Int) throws(HistoryError) -> Int { 0 }

    // MARK: Bookkeeping

    /// Remembers `call` until it ends, so a disconnect can fail it at once.
    private func track<Value>(_ call: PendingCall<Value>) -> PendingCall<Value> {
        let number = nextCallNumber
        nextCallNumber += 1
        inFlight[number] = { error in call.fail(error) }  // released by onEnd
        call.onEnd = { [weak self] in self?.inFlight[number] = nil }
        return call
    }

    private func connectionEvent(_ event: NATSClientEvent) {
        switch event {
        case .disconnected(let reason):
            disconnectedSince = disconnectedSince ?? MonotonicClock.now()
            failInFlight("the NATS connection was lost (\(reason))", batchesToo: false)
            for (_, batch) in batches.sorted(by: { $0.key < $1.key }) { batch.connectionLost(reason) }
        case .connected, .reconnected:
            disconnectedSince = nil
            for (_, batch) in batches.sorted(by: { $0.key < $1.key }) { batch.connectionBack() }
        case .closed(let reason): failInFlight("the NATS connection is closed (\(reason))", batchesToo: true)
        // -ERR does not say which request it refuses: waiting calls fail rather than wait for their deadline.
        case .serverError(let text): failInFlight("NATS server error: \(text)", batchesToo: true)
        default: break
        }
    }

    private func failInFlight(_ reason: String, batchesToo: Bool) {
        let waiting = inFlight.sorted { $0.key < $1.key }
        inFlight.removeAll()
        for (_, fail) in waiting { fail(HistoryError(.failed, reason)) }
        guard batchesToo else { return }
        let failing = batches.sorted { $0.key < $1.key }
        batches.removeAll()
        for (_, batch) in failing { batch.fail(HistoryError(.failed, reason)) }
    }

    /// A Nats-Msg-Id no other entry of any store has.
    func nextMessageID() -> String {
        defer { nextMessageNumber += 1 }
        return "\(messageIDPrefix)-\(nextMessageNumber)"
    }
}
