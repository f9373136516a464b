// KeyValueBucket: key-value basics on JetStream, the way NATS KV stores them:
// a bucket is the stream "KV_<bucket>" on subjects "$KV.<bucket>.<key>"; a
// value is the last message of its key's subject and its revision that
// message's sequence. Put, get, create (only if absent: expected last subject
// sequence 0), update (compare-and-set on the revision with the
// Nats-Expected-Last-Subject-Sequence header) and delete (a "KV-Operation: DEL"
// marker). Watchers, history reads, purge and TTLs per key are not implemented.
import Foundation

public struct KeyValueEntry: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// The stream sequence of this value; pass it to `update` for compare-and-set.
    public var revision: UInt64
}

public final class KeyValueBucket {
    public let name: String
    public let jetStream: JetStream
    var streamName: String { "KV_\(name)" }
    func subject(_ key: String) -> String { "$KV.\(name).\(key)" }

    /// Uses an existing bucket (no request is made).
    public init(name: String, jetStream: JetStream) throws(JetStreamError) {
        try Self.validate(bucket: name)
        self.name = name
        self.jetStream = jetStream
    }

    /// Creates the bucket (or updates its settings) and completes with it.
    public static func create(name: String, jetStream: JetStream, history: Int = 1, replicas: Int = 1,
                              storage: JetStreamStorage = .file, maximumAge: Duration? = nil,
                              completion: @escaping (Result<KeyValueBucket, JetStreamError>) -> Void) {
        let bucket: KeyValueBucket
        do {
            bucket = try KeyValueBucket(name: name, jetStream: jetStream)
        } catch {
            return completion(.failure(error))
        }
        var configuration = StreamConfiguration(name: bucket.streamName, subjects: ["$KV.\(name).>"], storage: storage,
                                                replicas: replicas, maximumAge: maximumAge)
        configuration.maximumMessagesPerSubject = Int64(max(1, min(history, 64)))
        configuration.discard = "new"
        configuration.allowRollup = true
        configuration.denyDelete = true
        configuration.allowDirect = true
        let twoMinutes = Int64(120_000_000_000)
        configuration.duplicateWindowNanoseconds = configuration.maximumAgeNanoseconds > 0
            ? min(configuration.maximumAgeNanoseconds, twoMinutes) : twoMinutes
        jetStream.createOrUpdateStream(configuration) { result in
            completion(result.map { _ in bucket })
        }
    }

    /// Stores `value` under `key` whatever was there; completes with the new revision.
    public func put(_ key: String, _ value: [UInt8], completion: @escaping (Result<UInt64, JetStreamError>) -> Void) {
        write(key, value, headers: nil, expected: nil, completion: completion)
    }

    /// Stores `value` only if `key` has no value (never set, or deleted); else `.keyExists`.
    public func create(_ key: String, _ value: [UInt8], completion: @escaping (Result<UInt64, JetStreamError>) -> Void) {
        write(key, value, headers: nil, expected: 0) { [weak self] result in
            guard case .failure(.wrongRevision(_, _, let text)) = result, let self else { return completion(result) }
            // A deleted key has a delete marker as its last message: create replaces it.
            self.lastEntry(key) { last in
                switch last {
                case .success(let (entry, deleted)) where deleted:
                    self.write(key, value, headers: nil, expected: entry.revision) { retry in
                        if case .failure(.wrongRevision(_, _, let text)) = retry {
                            completion(.failure(.keyExists(key: key, description: text)))
                        } else {
                            completion(retry)
                        }
                    }
                default:
                    completion(.failure(.keyExists(key: key, description: text)))
                }
            }
        }
    }

    /// Stores `value` only if `key` is at `revision` (compare-and-set); else `.wrongRevision`.
    public func update(_ key: String, _ value: [UInt8], revision: UInt64,
                       completion: @escaping (Result<UInt64, JetStreamError>) -> Void) {
        write(key, value, headers: nil, expected: revision, completion: completion)
    }

    /// Deletes `key` (a delete marker); with `revision`, only if the key is at that revision.
    public func delete(_ key: String, revision: UInt64? = nil, completion: @escaping (Result<UInt64, JetStreamError>) -> Void) {
        write(key, [], headers: NATSHeaders([("KV-Operation", "DEL")]), expected: revision, completion: completion)
    }

    /// The current value of `key`, or nil when it was never set or is deleted.
    public func get(_ key: String, completion: @escaping (Result<KeyValueEntry?, JetStreamError>) -> Void) {
        lastEntry(key) { result in
            completion(result.map { entry, deleted in deleted ? nil : entry }.flatMapError { error in
                if case .api(_, JetStreamError.noMessageFound, _) = error { return .success(nil) }
                return .failure(error)
            })
        }
    }

    private func lastEntry(_ key: String, completion: @escaping (Result<(KeyValueEntry, Bool), JetStreamError>) -> Void) {
        do {
            try Self.validate(key: key)
        } catch {
            return completion(.failure(error))
        }
        jetStream.lastMessage(stream: streamName, subject: subject(key)) { result in
            completion(result.map { message in
                let operation = message.headers?["KV-Operation"]
                let deleted = operation == "DEL" || operation == "PURGE"
                return (KeyValueEntry(key: key, value: message.payload, revision: message.sequence), deleted)
            })
        }
    }

    private func write(_ key: String, _ value: [UInt8], headers: NATSHeaders?, expected: UInt64?,
                       completion: @escaping (Result<UInt64, JetStreamError>) -> Void) {
        do {
            try Self.validate(key: key)
        } catch {
            return completion(.failure(error))
        }
        var headers = headers
        if let expected {
            headers = headers ?? NATSHeaders()
            headers?.set("Nats-Expected-Last-Subject-Sequence", String(expected))
        }
        jetStream.publish(subject(key), payload: value, headers: headers) { result in
            switch result {
            case .success(let acknowledgement): completion(.success(acknowledgement.sequence))
            case .failure(.api(_, JetStreamError.wrongLastSequence, let text)):
                completion(.failure(.wrongRevision(key: key, expected: expected ?? 0, description: text)))
            case .failure(let error): completion(.failure(error))
            }
        }
    }

    // MARK: Names

    static func validate(bucket: String) throws(JetStreamError) {
        guard !bucket.isEmpty, bucket.utf8.count <= 64,
              bucket.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            throw .invalidName("bucket '\(bucket)': use letters, digits, '-' and '_'")
        }
    }

    static func validate(key: String) throws(JetStreamError) {
        let allowed: Set<UInt8> = Set("-/_=.".utf8)
        guard !key.isEmpty, key.utf8.count <= 1024, !key.hasPrefix("."), !key.hasSuffix("."), !key.contains(".."),
              key.utf8.allSatisfy({ isAlphanumeric($0) || allowed.contains($0) }) else {
            throw .invalidName("key '\(key)': use letters, digits and '-/_=.', not starting or ending with '.'")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }
}
