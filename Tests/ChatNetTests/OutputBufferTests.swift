// OutputBufferTests: the per-connection output buffer: bytes come out in
// order when appended and consumed one at a time, a retried write sees the
// same front after more is appended (OpenSSL's retry rule), the sent front is
// reused instead of growing, memory is freed as soon as all is sent, and the
// next block starts at the size the last one needed (bounded).
@testable import ChatNet
import Testing

@Suite("OutputBuffer")
struct OutputBufferTests {
    func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    // Read through functions: #expect cannot look into a noncopyable value's properties itself.
    func held(_ buffer: borrowing OutputBuffer) -> Int { buffer.allocatedByteCount }
    func queued(_ buffer: borrowing OutputBuffer) -> Int { buffer.byteCount }

    @Test("appending and consuming one byte at a time keeps order")
    func byteByByte() {
        var buffer = OutputBuffer()
        let input = Array("hello, world\n".utf8)
        var output: [UInt8] = []
        for byte in input {
            [byte].withUnsafeBytes { buffer.append($0) }
            output.append(buffer.front[0])
            buffer.consume(1)
            #expect(queued(buffer) == 0)
        }
        #expect(output == input)
        #expect(held(buffer) == 0)
    }

    @Test("the front after more appends starts with the same bytes, so a write can be retried")
    func retryFindsSamePrefix() {
        var buffer = OutputBuffer()
        Array("first line\n".utf8).withUnsafeBytes { buffer.append($0) }
        let before = text(buffer.front)
        let big = [UInt8](repeating: 0x41, count: 3 * OutputBuffer.initialCapacity)  // forces growth (a move)
        big.withUnsafeBytes { buffer.append($0) }
        #expect(text(buffer.front).hasPrefix(before))
        #expect(queued(buffer) == before.utf8.count + big.count)
    }

    @Test("a partly sent buffer reuses its front instead of growing")
    func reusesSentFront() {
        var buffer = OutputBuffer()
        let chunk = [UInt8](repeating: 0x42, count: OutputBuffer.initialCapacity / 4)
        for _ in 0..<4 { chunk.withUnsafeBytes { buffer.append($0) } }
        #expect(held(buffer) == OutputBuffer.initialCapacity)
        buffer.consume(3 * chunk.count)
        Array("tail".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(held(buffer) == OutputBuffer.initialCapacity)
        #expect(queued(buffer) == chunk.count + 4)
        #expect(text(buffer.front).hasSuffix("BBtail"))
    }

    @Test("sending everything frees the memory; an empty append allocates nothing")
    func freesWhenDrained() {
        var buffer = OutputBuffer()
        [UInt8]().withUnsafeBytes { buffer.append($0) }
        #expect(held(buffer) == 0)
        Array("x\n".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(held(buffer) == OutputBuffer.initialCapacity)
        buffer.consume(1)
        #expect(held(buffer) > 0)
        buffer.consume(1)
        #expect(held(buffer) == 0)
        #expect(buffer.front.count == 0)
    }

    @Test("the next block starts at the size the last one's contents needed, 4 to 64 KiB")
    func remembersSize() {
        var buffer = OutputBuffer()
        let chunk = [UInt8](repeating: 0x43, count: 10_000)
        chunk.withUnsafeBytes { buffer.append($0) }
        #expect(held(buffer) == 16_384)
        buffer.consume(chunk.count)
        Array("x".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(held(buffer) == 16_384)
        buffer.consume(1)
        let backlog = [UInt8](repeating: 0x44, count: 1 << 20)
        backlog.withUnsafeBytes { buffer.append($0) }
        buffer.consume(backlog.count)
        Array("y".utf8).withUnsafeBytes { buffer.append($0) }
        #expect(held(buffer) == OutputBuffer.largestRememberedCapacity)
        buffer.consume(1)
        Array("z".utf8).withUnsafeBytes { buffer.append($0) }  // the last block held one byte: back to small
        #expect(held(buffer) == OutputBuffer.initialCapacity)
        buffer.consume(1)
    }
}
