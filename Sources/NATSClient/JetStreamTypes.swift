// JetStreamTypes: the JSON values of the JetStream API this layer uses (a
// stream's configuration and state, a publish acknowledgement, a stored
// message) and `JetStreamError`, which turns the API's
// {"error":{"code","err_code","description"}} into a typed error carrying the
// server's description. Encoding/decoding only; JetStream.swift sends them.
import Foundation

/// Where a stream keeps its messages.
public enum JetStreamStorage: String, Codable, Sendable { case file, memory }

/// A stream's configuration (the subset this client sets; the server fills in the rest).
public struct StreamConfiguration: Codable, Sendable, Equatable {
    public var name: String
    public var subjects: [String]
    public var storage: JetStreamStorage = .file
    public var replicas: Int = 1
    /// Oldest message age kept, in nanoseconds (0: no limit).
    public var maximumAgeNanoseconds: Int64 = 0
    /// Messages kept per subject (-1 or nil: no limit); KV buckets keep their history depth here.
    public var maximumMessagesPerSubject: Int64?
    /// "old" drops old messages at a limit; "new" refuses new ones.
    public var discard: String?
    /// Window of Nats-Msg-Id de-duplication, in nanoseconds (nil: server default, 2 minutes).
    public var duplicateWindowNanoseconds: Int64?
    public var allowDirect: Bool?
    public var allowRollup: Bool?
    public var denyDelete: Bool?

    public init(name: String, subjects: [String], storage: JetStreamStorage = .file, replicas: Int = 1,
                maximumAge: Duration? = nil) {
        self.name = name
        self.subjects = subjects
        self.storage = storage
        self.replicas = replicas
        self.maximumAgeNanoseconds = maximumAge.map { Int64(clamping: $0.nanoseconds) } ?? 0
    }

    enum CodingKeys: String, CodingKey {
        case name, subjects, storage, replicas = "num_replicas", maximumAgeNanoseconds = "max_age"
        case maximumMessagesPerSubject = "max_msgs_per_subject", discard
        case duplicateWindowNanoseconds = "duplicate_window", allowDirect = "allow_direct"
        case allowRollup = "allow_rollup_hdrs", denyDelete = "deny_delete"
    }
}

/// A stream's configuration as the server holds it, and its state.
public struct StreamInfo: Decodable, Sendable {
    public struct State: Decodable, Sendable {
        public var messages: UInt64
        public var lastSequence: UInt64
        enum CodingKeys: String, CodingKey { case messages, lastSequence = "last_seq" }
    }
    public var config: StreamConfiguration
    public var state: State
}

/// JetStream's acknowledgement of a stored publish.
public struct PublishAcknowledgement: Decodable, Sendable, Equatable {
    public var stream: String
    public var sequence: UInt64
    /// True when the Nats-Msg-Id was seen within the duplicate window: nothing new was stored.
    public var duplicate: Bool

    enum CodingKeys: String, CodingKey { case stream, sequence = "seq", duplicate }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        stream = try values.decode(String.self, forKey: .stream)
        sequence = try values.decode(UInt64.self, forKey: .sequence)
        duplicate = try values.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
    }
}

/// One message read back from a stream.
public struct StoredMessage: Sendable, Equatable {
    public var subject: String
    public var sequence: UInt64
    public var headers: NATSHeaders?
    public var payload: [UInt8]
    /// The server's timestamp (RFC 3339 text, as sent).
    public var time: String
}

/// The wire form of a stored message in STREAM.MSG.GET replies (headers and data in base64).
struct StoredMessageWire: Decodable {
    var subject: String
    var seq: UInt64
    var hdrs: String?
    var data: String?
    var time: String
}

/// Errors of the JetStream layer.
public enum JetStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The API answered with an error; `description` is the server's.
    case api(code: Int, errorCode: Int, description: String)
    /// The request could not be made or had no answer (no responders: JetStream not enabled
    /// or no stream for the subject; timeout; closed).
    case transport(NATSError)
    /// The reply was not the JSON expected.
    case malformedResponse(String)
    /// KV create: the key already has a value.
    case keyExists(key: String, description: String)
    /// KV update/delete: the key's revision is not the expected one.
    case wrongRevision(key: String, expected: UInt64, description: String)
    /// A bucket or key name that JetStream would not accept.
    case invalidName(String)

    public var description: String {
        switch self {
        case .api(let code, let errorCode, let text): return "JetStream error \(code) (\(errorCode)): \(text)"
        case .transport(let error): return "JetStream request failed: \(error)"
        case .malformedResponse(let why): return "JetStream reply not understood: \(why)"
        case .keyExists(let key, let text): return "key '\(key)' already exists (\(text))"
        case .wrongRevision(let key, let expected, let text): return "key '\(key)' is not at revision \(expected) (\(text))"
        case .invalidName(let why): return "invalid name: \(why)"
        }
    }

    /// The API error code JetStream uses for "wrong last sequence" (compare-and-set failed).
    public static let wrongLastSequence = 10071
    /// "stream name already in use" (with a different configuration).
    public static let streamNameInUse = 10058
    /// "no message found".
    public static let noMessageFound = 10037
}

/// {"error":{...}} in any API reply.
struct APIErrorEnvelope: Decodable {
    struct Body: Decodable {
        var code: Int
        var errCode: Int?
        var description: String?
        enum CodingKeys: String, CodingKey { case code, errCode = "err_code", description }
    }
    var error: Body?
}
