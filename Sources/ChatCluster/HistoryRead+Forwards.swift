// HistoryRead+Forwards: the .after(id) page of a HistoryRead: from a pull
// consumer starting at the id's message, messages are pulled a few at a time
// (`firstForwardBatch`, then as many as the entries per message seen so far
// say the page still needs, at most `limit` + 1), decoded as they come, and
// their entries above the id kept until the page is full, the subject has no
// more, or a round brought fewer than asked. A stored message may hold up to
// 1024 entries: pulling `limit` + 1 of them at once for a page of `limit`
// would move up to a thousand times the page over NATS. Bounded: at most
// `maximumForwardRounds` pulls, the last ones of `limit` + 1 messages, all
// under the read's deadline. It does not find where a page starts (HistoryRead).
import ChatCore
import NATSClient

extension HistoryRead {
    /// Messages the first pull of an .after page asks for.
    static let firstForwardBatch = 16
    /// Pulls one .after page may make (the later ones ask for `limit` + 1 messages).
    static let maximumForwardRounds = 6

    /// Pulls up to `batch` messages from `consumer` (`available`: how many the subject still
    /// holds from there, as the consumer last said), then again while the page is not full.
    func readForwards(_ consumer: String, batch: Int, available: UInt64, round: Int) {
        guard !call.isFinished else { return delete(consumer) }
        guard available > 0, batch > 0 else {
            delete(consumer)
            return call.finish(.success(collected))
        }
        var corrupt: HistoryError?
        var received = 0
        var full = false
        store.readMessagesRequested += batch
        store.jetStream.fetch(stream: stream, consumer: consumer, batch: batch, timeout: store.configuration.readDeadline,
                              receive: { [self] metadata, message in
            received += 1
            let sequence = metadata.streamSequence
            guard message.subject == subject, sequence > lastSequence else {
                corrupt = HistoryError(.corrupt, "reading \(subject) gave \(message.subject) \(sequence) after \(lastSequence)")
                return false
            }
            lastSequence = sequence
            full = !collect(message.payload, sequence: sequence)
            return !full
        }, completion: { [self] result in
            if let corrupt {
                delete(consumer)
                return call.fail(corrupt)
            }
            if case .failure(let error) = result {
                delete(consumer)
                return fail(error)
            }
            let left = available > UInt64(received) ? available - UInt64(received) : 0
            guard !full, received == batch, left > 0, round < Self.maximumForwardRounds else {
                delete(consumer)
                return call.finish(.success(collected))
            }
            readForwards(consumer, batch: nextBatch(round: round), available: left, round: round + 1)
        })
    }

    /// The next pull's size: the entries still missing at the rate seen so far, plus one
    /// message; `limit` + 1 (enough for any page) for the last round.
    private func nextBatch(round: Int) -> Int {
        guard round + 1 < Self.maximumForwardRounds else { return limit + 1 }
        let messages = max(1, forwardMessages)
        let perMessage = max(1, collected.count / messages)
        return min(limit + 1, (limit - collected.count) / perMessage + 2)
    }

    /// Adds the message's entries above the id to the page; false once it is full.
    func collect(_ payload: [UInt8], sequence: UInt64) -> Bool {
        forwardMessages += 1
        // A message no client could have sent (a broken or hostile node wrote it) is left
        // out, as the room feeds leave it out: one bad message must not fail every page.
        guard let decoded = try? HistoryEntryCodec.decode(payload, scope: scope, sequence: sequence) else { return true }
        for entry in decoded.entries where entry.id > aboveID {
            collected.append(entry)
            if collected.count == limit { return false }
        }
        return true
    }
}
