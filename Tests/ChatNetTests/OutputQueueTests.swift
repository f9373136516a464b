// OutputQueueTests: the per-connection send queue: gathering a prefix across
// chunk boundaries without consuming, consuming one byte at a time, iovecs
// after a partial send, and releasing memory once drained.
@testable import ChatNet
import Testing

@Suite("OutputQueue")
struct OutputQueueTests {
    func queue(_ parts: [String]) -> OutputQueue {
        var queue = OutputQueue()
        for part in parts { queue.append(SharedBytes(part.utf8)) }
        return queue
    }

    func gathered(_ queue: OutputQueue, limit: Int) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: limit, alignment: 1)
        defer { buffer.deallocate() }
        let count = queue.gather(into: buffer)
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    @Test("gather copies across chunks up to the buffer size and does not consume")
    func gatherAcrossChunks() {
        let q = queue(["ab", "", "cde", "f"])
        #expect(q.byteCount == 6)
        #expect(gathered(q, limit: 4) == "abcd")
        #expect(gathered(q, limit: 64) == "abcdef")
        #expect(q.byteCount == 6)
    }

    @Test("consuming one byte at a time walks every chunk boundary")
    func consumeByteByByte() {
        var q = queue(["ab", "cde", "f"])
        var seen = ""
        while !q.isEmpty {
            seen += gathered(q, limit: 1)
            q.consume(1)
        }
        #expect(seen == "abcdef")
        #expect(q.byteCount == 0)
    }

    @Test("iovecs start inside the first chunk after a partial send")
    func iovecsAfterPartialSend() {
        var q = queue(["hello ", "world"])
        q.consume(3)
        let pieces: [String] = q.withIOVecs(maximum: 8) { vectors in
            vectors.map { String(decoding: UnsafeRawBufferPointer(start: $0.iov_base, count: $0.iov_len), as: UTF8.self) }
        }
        #expect(pieces == ["lo ", "world"])
    }

    @Test("one SharedBytes queued on many queues is not copied per queue")
    func sharedNotCopied() {
        let message = SharedBytes("broadcast\n".utf8)
        var queues = [OutputQueue](repeating: OutputQueue(), count: 100)
        for index in queues.indices { queues[index].append(message) }
        let addresses = Set(queues.map { q in q.withIOVecs(maximum: 1) { $0[0].iov_base } })
        #expect(addresses.count == 1)
        #expect(addresses.first == UnsafeMutableRawPointer(mutating: message.bytes.baseAddress))
    }
}
