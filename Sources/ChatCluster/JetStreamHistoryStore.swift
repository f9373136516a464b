// JetStreamHistoryStore: ChatCore's HistoryStore on one JetStream stream, for
// a cluster of tlschatd nodes sharing history. Layout and encodings are in
// ClusterSubjects and HistoryEntryCodec; an entry's id is its stream
// sequence, so ids increase across all scopes and are never reused.
//
// Reading a page is the hard part: nats-server 2.9 reads a subject forwards
// (STREAM.MSG.GET next_by_subj) and its last message (last_by_subj), but not
// backwards and not in batches. So every message names the stream sequence of
// the previous message of its subject (header TLSChat-Previous), and appends
// make that pointer exact: each publish carries
// Nats-Expected-Last-Subject-Sequence with the same value, the server refuses
// it when another node wrote to the subject meanwhile, and we then re-read the
// subject's last sequence and retry (at most 5 times). Paging back follows the
// pointers (HistoryRead); a pointer to a message the stream's limits removed
// ends the history there. Pages cost one request per message (limit clamped
// to 1...1000, like the SQLite store) under one overall deadline.
//
// Appends publish the batch's entries one after another (each needs the
// previous one's sequence) and complete when all are acknowledged with
// strictly increasing sequences (HistoryBatchAppend). A batch fails as a
// whole on an API error, a server -ERR, the deadline or a disconnect, but JetStream has no
// transactions: entries acknowledged before the failure stay in the stream.
// Certificate-only marks are in a KV bucket without an age limit, loaded by
// `open` before the store is handed out (certificateOnlyRooms is
// synchronous). Retention is the stream's own (max age, max messages per
// subject): pruneStep returns 0. Every completion runs once, on the loop
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
        /// Messages kept per room or conversation (nil: no limit).
        public var maximumMessagesPerScope: Int?
        /// Deadline of one append batch, one page read, one mark.
        public var callDeadline: Duration = .seconds(5)
        /// Deadline of a page read (up to 1000 sequential reads).
        public var readDeadline: Duration = .seconds(10)

        public init(clusterName: String) { self.clusterName = clusterName }
    }

    /// The page sizes `messages(in:_:limit:)` accepts; other limits are clamped into it (as SQLiteHistoryStore).
    public static let limitRange = 1...1000
    /// Publishes of one entry refused for a stale last sequence before the batch fails.
    static let maximumConflictRetries = 5
    /// Subjects whose last sequence is remembered between appends.
    static let maximumRememberedSubjects = 10_000

    public let jetStream: JetStream
    public let subjects: ClusterSubjects
    public let configuration: Configuration
    let marksBucket: KeyValueBucket
    var loop: EventLoop { jetStream.client.loop }
    private var marks: Set<String>
    /// The last stream sequence known for a subject (the next append's expected last sequence).
    var lastSequences: [String: UInt64] = [:]
    /// Calls waiting for JetStream, failed at once when the connection goes.
    private var inFlight: [UInt64: (HistoryError) -> Void] = [:]
    private var nextCallNumber: UInt64 = 1
    private var observer: UInt64?

    private init(jetStream: JetStream, subjects: ClusterSubjects, configuration: Configuration,
                 marksBucket: KeyValueBucket, marks: Set<String>) {
        self.jetStream = jetStream
        self.subjects = subjects
        self.configuration = configuration
        self.marksBucket = marksBucket
        self.marks = marks
        observer = jetStream.client.addObserver { [weak self] event in
            switch event {
            case .disconnected(let reason): self?.failInFlight("the NATS connection was lost (\(reason))")
            case .closed(let reason): self?.failInFlight("the NATS connection is closed (\(reason))")
            // -ERR does not say which request it refuses: waiting calls fail rather than wait for their deadline.
            case .serverError(let text): self?.failInFlight("NATS server error: \(text)")
            default: break
            }
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
        let call = track(PendingCall(loop: loop, deadline: configuration.callDeadline, doing: "storing \(entries.count) messages",
                                     completion: completion))
        defer { call.started() }
        HistoryBatchAppend(store: self, entries: entries, call: call).next()
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

    private func failInFlight(_ reason: String) {
        let waiting = inFlight.sorted { $0.key < $1.key }
        inFlight.removeAll()
        lastSequences.removeAll()
        for (_, fail) in waiting { fail(HistoryError(.failed, reason)) }
    }

    func rememberLastSequence(_ sequence: UInt64?, of subject: String) {
        if sequence != nil, lastSequences[subject] == nil, lastSequences.count >= Self.maximumRememberedSubjects {
            lastSequences.removeAll(keepingCapacity: true)
        }
        lastSequences[subject] = sequence
    }
}
