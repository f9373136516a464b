// SQLiteHistoryStore+Completions: the completion-based HistoryStore calls the
// chat core uses, on top of the store's synchronous ones. SQLite runs on the
// loop thread and answers within the call, so each completion is called
// before the call returns: the core then behaves exactly as with a
// synchronous store (the OK of a batch leaves in the same loop iteration).
// The synchronous calls stay public for tests, tools and the server's
// retention. No logic of its own.
import ChatCore

extension SQLiteHistoryStore {
    public func append(_ entries: [HistoryEntry], completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void) {
        let result: Result<[HistoryEntry], HistoryError>
        do { result = .success(try append(entries)) } catch { result = .failure(error) }
        completion(result)
    }

    public func messages(in scope: HistoryScope, _ range: HistoryRange, limit: Int,
                         completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void) {
        let result: Result<[HistoryEntry], HistoryError>
        do { result = .success(try messages(in: scope, range, limit: limit)) } catch { result = .failure(error) }
        completion(result)
    }

    public func markCertificateOnly(room: String, completion: @escaping (Result<Void, HistoryError>) -> Void) {
        let result: Result<Void, HistoryError>
        do { result = .success(try markCertificateOnly(room: room)) } catch { result = .failure(error) }
        completion(result)
    }
}
