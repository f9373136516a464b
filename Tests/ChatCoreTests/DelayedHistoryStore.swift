// DelayedHistoryStore: a HistoryStore for tests that answers later, as a
// networked store (JetStream) would: each call does its work on a real
// SQLiteHistoryStore at once (a read sees the store as it is when asked) but
// its completion waits in a queue until the test releases it. It can also
// make appends fail. It does not run a loop or a timer: the test decides
// when each answer arrives.
import ChatCore
import ChatHistory
import Foundation

final class DelayedHistoryStore: HistoryStore {
    let inner: SQLiteHistoryStore
    /// Completions not yet called, oldest first, with what they answer ("append", "read", "mark").
    private var waiting: [(kind: String, complete: () -> Void)] = []
    /// When set, appends (or marks) fail with it (nothing is stored).
    var appendFailure: HistoryError?
    var markFailure: HistoryError?
    /// When set, an append stores its batch but answers with only this many of the messages (a faulty store).
    var appendAnswersOnly: Int?

    init(path: String) throws { inner = try SQLiteHistoryStore(path: path) }

    var pendingKinds: [String] { waiting.map(\.kind) }

    /// Calls the oldest waiting completion (of `kind`, when given); returns its kind.
    @discardableResult
    func completeNext(_ kind: String? = nil) -> String? {
        guard let index = waiting.firstIndex(where: { kind == nil || $0.kind == kind }) else { return nil }
        let next = waiting.remove(at: index)
        next.complete()
        return next.kind
    }

    /// Calls waiting completions (also those queued meanwhile) until none is left.
    func completeAll() { while completeNext() != nil {} }

    func append(_ entries: [HistoryEntry], completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void) {
        let result: Result<[HistoryEntry], HistoryError>
        if let appendFailure { result = .failure(appendFailure) } else {
            do { result = .success(Array(try inner.append(entries).prefix(appendAnswersOnly ?? .max))) } catch { result = .failure(error) }
        }
        waiting.append(("append", { completion(result) }))
    }

    func messages(in scope: HistoryScope, _ range: HistoryRange, limit: Int,
                  completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void) {
        let result: Result<[HistoryEntry], HistoryError>
        do { result = .success(try inner.messages(in: scope, range, limit: limit)) } catch { result = .failure(error) }
        waiting.append(("read", { completion(result) }))
    }

    func markCertificateOnly(room: String, completion: @escaping (Result<Void, HistoryError>) -> Void) {
        let result: Result<Void, HistoryError>
        if let markFailure { result = .failure(markFailure) } else {
            do { result = .success(try inner.markCertificateOnly(room: room)) } catch { result = .failure(error) }
        }
        waiting.append(("mark", { completion(result) }))
    }

    func certificateOnlyRooms() throws(HistoryError) -> Set<String> { try inner.certificateOnlyRooms() }

    func pruneStep(olderThan: Int64?, keepPerScope: Int?, maximumRows: Int) throws(HistoryError) -> Int { 0 }
}

/// A core backed by a DelayedHistoryStore in a fresh directory; removed with the test.
final class DelayedHistoryFixture {
    let directory: String
    let store: DelayedHistoryStore
    let core: ChatServerCore
    var failures: [HistoryError] = []
    var batches: [Bool] = []
    private var clock: Int64 = 1_765_000_000_000

    init(historyOnJoin: Int = 20) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("delayed-history-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try DelayedHistoryStore(path: directory + "/history.sqlite")
        core = ChatServerCore()
        core.history = store
        core.historyOnJoin = historyOnJoin
        core.historyFailed = { [unowned self] in failures.append($0) }
        core.batchFinished = { [unowned self] in batches.append($0) }
        core.wallClock = { [unowned self] in clock }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// What the server's loop does once per iteration (before it flushes output).
    @discardableResult
    func commit() -> Bool {
        clock += 1000
        return core.commitStaged(nowMilliseconds: clock)
    }

    /// Feeds lines one at a time, as the server does; returns nothing (replies are read from links).
    func feed(_ client: Client, _ lines: [String]) {
        for line in lines { core.receive(line: Array(line.utf8), from: client.session) }
    }

    func storedTexts(_ room: String) throws -> [String] {
        try store.inner.messages(in: .room(room), .latest, limit: 100).map(\.text)
    }
}
