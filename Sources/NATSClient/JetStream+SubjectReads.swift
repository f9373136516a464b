// JetStream+SubjectReads: reads that follow one subject through a stream
// without a consumer: the first message of a subject at or after a sequence
// (STREAM.MSG.GET with next_by_subj, nats-server 2.9+), and the subjects of a
// stream that match a filter with their message counts (STREAM.INFO with
// subjects_filter). Each is one API request with the JetStream deadline.
// Reading backwards by subject and batch reads are not offered by the server
// (2.9) and not here.
import Foundation

extension JetStream {
    /// The first message on `subject` whose sequence is `sequence` or higher
    /// (`.api(404, noMessageFound, _)` when there is none).
    public func nextMessage(stream: String, subject: String, atOrAfter sequence: UInt64,
                            completion: @escaping (Result<StoredMessage, JetStreamError>) -> Void) {
        struct Request: Encodable {
            var seq: UInt64
            var nextBySubject: String
            enum CodingKeys: String, CodingKey { case seq, nextBySubject = "next_by_subj" }
        }
        getMessage(stream: stream, body: Self.encode(Request(seq: max(1, sequence), nextBySubject: subject)),
                   completion: completion)
    }

    /// The subjects of `stream` matching `filter` (wildcards allowed) and how many messages each
    /// holds, at most `limit` of them (the server pages longer lists; only the first page is read).
    public func subjects(stream: String, matching filter: String, limit: Int = 100_000,
                         completion: @escaping (Result<[String: UInt64], JetStreamError>) -> Void) {
        struct Request: Encodable {
            var subjectsFilter: String
            enum CodingKeys: String, CodingKey { case subjectsFilter = "subjects_filter" }
        }
        struct Reply: Decodable {
            struct State: Decodable {
                var subjects: [String: UInt64]?
                var numberOfSubjects: Int?
                enum CodingKeys: String, CodingKey { case subjects, numberOfSubjects = "num_subjects" }
            }
            var state: State
            var total: Int?
            var limit: Int?
        }
        call("STREAM.INFO.\(stream)", body: Self.encode(Request(subjectsFilter: filter))) { (result: Result<Reply, JetStreamError>) in
            completion(result.flatMap { reply in
                let subjects = reply.state.subjects ?? [:]
                if let total = reply.total, let pageLimit = reply.limit, total > pageLimit || subjects.count > limit {
                    return .failure(.malformedResponse("\(total) subjects match '\(filter)', more than one page of \(min(pageLimit, limit))"))
                }
                return .success(subjects)
            })
        }
    }
}
