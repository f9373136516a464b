// JetStream: a thin layer over NATSClient's request/reply for JetStream's JSON
// API ("$JS.API.*"): create or update a stream, read its info, publish with
// acknowledgement (Nats-Msg-Id for de-duplication, optional expectations as
// headers), and read a stored message by sequence or the last one of a subject
// (STREAM.MSG.GET). API errors become `JetStreamError.api` with the server's
// description. Completions run on the loop thread. Push consumers are in
// JetStream+Consumers, reads by subject order in JetStream+SubjectReads; it
// does not implement pull consumers, ordered delivery or object stores.
import Foundation

public final class JetStream {
    public let client: NATSClient
    /// "$JS.API" (or a domain's prefix).
    public let apiPrefix: String
    /// Deadline of each API request and publish acknowledgement.
    public var timeout: Duration

    public init(client: NATSClient, apiPrefix: String = "$JS.API", timeout: Duration = .seconds(5)) {
        self.client = client
        self.apiPrefix = apiPrefix
        self.timeout = timeout
    }

    // MARK: Streams

    /// Creates the stream, or updates it when one of that name exists with another configuration.
    public func createOrUpdateStream(_ configuration: StreamConfiguration,
                                     completion: @escaping (Result<StreamInfo, JetStreamError>) -> Void) {
        let body = Self.encode(configuration)
        call("STREAM.CREATE.\(configuration.name)", body: body) { [weak self] (result: Result<StreamInfo, JetStreamError>) in
            if case .failure(.api(_, JetStreamError.streamNameInUse, _)) = result, let self {
                self.call("STREAM.UPDATE.\(configuration.name)", body: body, completion: completion)
            } else {
                completion(result)
            }
        }
    }

    public func streamInfo(_ name: String, completion: @escaping (Result<StreamInfo, JetStreamError>) -> Void) {
        call("STREAM.INFO.\(name)", body: [], completion: completion)
    }

    public func deleteStream(_ name: String, completion: @escaping (Result<Void, JetStreamError>) -> Void) {
        call("STREAM.DELETE.\(name)", body: []) { (result: Result<SuccessReply, JetStreamError>) in
            completion(result.map { _ in () })
        }
    }

    // MARK: Publishing

    /// Publishes and completes with JetStream's acknowledgement. `messageID` becomes Nats-Msg-Id
    /// (a repeat within the stream's duplicate window is acknowledged with `duplicate` and not stored).
    /// `timeout` replaces the JetStream deadline for this acknowledgement.
    public func publish(_ subject: String, payload: [UInt8], headers: NATSHeaders? = nil, messageID: String? = nil,
                        timeout: Duration? = nil, completion: @escaping (Result<PublishAcknowledgement, JetStreamError>) -> Void) {
        var headers = headers
        if let messageID {
            headers = headers ?? NATSHeaders()
            headers?.set("Nats-Msg-Id", messageID)
        }
        do {
            try client.request(subject, payload: payload, headers: headers, timeout: timeout ?? self.timeout) { result in
                if case .success(let reply) = result, let acknowledgement = PublishAcknowledgement.compact(reply.payload) {
                    return completion(.success(acknowledgement))  // the usual form, read without JSONDecoder
                }
                completion(Self.decodeReply(result))
            }
        } catch {
            completion(.failure(.transport(error)))
        }
    }

    // MARK: Reading

    /// The message stored at `sequence`.
    public func message(stream: String, sequence: UInt64, completion: @escaping (Result<StoredMessage, JetStreamError>) -> Void) {
        getMessage(stream: stream, body: Array(#"{"seq":\#(sequence)}"#.utf8), completion: completion)
    }

    /// The last message stored on `subject` (no wildcards).
    public func lastMessage(stream: String, subject: String, completion: @escaping (Result<StoredMessage, JetStreamError>) -> Void) {
        getMessage(stream: stream, body: Self.encode(["last_by_subj": subject]), completion: completion)
    }

    func getMessage(stream: String, body: [UInt8], completion: @escaping (Result<StoredMessage, JetStreamError>) -> Void) {
        struct Reply: Decodable { var message: StoredMessageWire }
        call("STREAM.MSG.GET.\(stream)", body: body) { (result: Result<Reply, JetStreamError>) in
            completion(result.flatMap { reply in
                let wire = reply.message
                guard let data = Data(base64Encoded: wire.data ?? ""), let headerData = Data(base64Encoded: wire.hdrs ?? "") else {
                    return .failure(.malformedResponse("stored message \(wire.seq) is not valid base64"))
                }
                var headers: NATSHeaders?
                if !headerData.isEmpty {
                    do {
                        headers = try NATSHeaders.parse(ArraySlice(headerData))
                    } catch {
                        return .failure(.malformedResponse("headers of stored message \(wire.seq): \(error)"))
                    }
                }
                return .success(StoredMessage(subject: wire.subject, sequence: wire.seq, headers: headers,
                                              payload: Array(data), time: wire.time))
            })
        }
    }

    // MARK: The API call

    /// Sends `body` to "<prefix>.<api>" and decodes the reply as `Response` (or its error).
    public func call<Response: Decodable>(_ api: String, body: [UInt8], timeout: Duration? = nil,
                                          completion: @escaping (Result<Response, JetStreamError>) -> Void) {
        do {
            try client.request("\(apiPrefix).\(api)", payload: body, timeout: timeout ?? self.timeout) { result in
                completion(Self.decodeReply(result))
            }
        } catch {
            completion(.failure(.transport(error)))
        }
    }

    static func decodeReply<Response: Decodable>(_ result: Result<NATSMessage, NATSError>) -> Result<Response, JetStreamError> {
        let message: NATSMessage
        switch result {
        case .failure(let error): return .failure(.transport(error))
        case .success(let reply): message = reply
        }
        let data = Data(message.payload)
        let decoder = JSONDecoder()
        // Only a reply that names an "error" key can be one (most are not: one decode, not two).
        if Self.mentionsError(message.payload),
           let envelope = try? decoder.decode(APIErrorEnvelope.self, from: data), let error = envelope.error {
            return .failure(.api(code: error.code, errorCode: error.errCode ?? 0, description: error.description ?? "(no description)"))
        }
        do {
            return .success(try decoder.decode(Response.self, from: data))
        } catch {
            return .failure(.malformedResponse("\(Response.self): \(error) in \(message.text.prefix(200))"))
        }
    }

    /// Whether `payload` holds the bytes `"error"` anywhere.
    static func mentionsError(_ payload: [UInt8]) -> Bool {
        let needle = Array("\"error\"".utf8)
        guard payload.count >= needle.count else { return false }
        for start in 0...(payload.count - needle.count) where payload[start] == needle[0] {
            if payload[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    static func encode<Value: Encodable>(_ value: Value) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}

/// A reply whose only content is success (or an error envelope).
struct SuccessReply: Decodable {
    var success: Bool?
}
