// RoomGatheringLimitTests: the output limit of a member of two rooms against a
// real tlschatd (`--max-queue 4096`). Room messages reach members through one
// broadcast group per room and flush; a member that stopped reading must still
// be cut off by the message that passes its limit when the bytes come from two
// rooms, and not be counted in the sender's `sent N/M`, exactly as when each
// message was queued on it one by one. The messages go in one write (one
// loopback segment), so the server handles them in one loop iteration.
import Foundation
import Testing

@Suite("room gathering against a real server", .serialized)
struct RoomGatheringLimitTests {
    @Test("a member of two rooms that stops reading is closed at the message that passes --max-queue")
    func twoRoomsOneLimit() throws {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0", "--max-queue", "4096", "--lobby", "none",
                                        "--command-burst", "100000", "--commands-per-second", "100000"])
        defer { server.stop() }
        let plainPort = try #require(server.plainPort)
        let run = Subprocess.run("python3", ["-c", """
            import socket, time
            def connect():
                s = socket.create_connection(("127.0.0.1", \(plainPort)), timeout=20)
                return s
            def read_until(s, done):
                data = b""
                while not done(data):
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                return data
            slow, sender = connect(), connect()
            for s in (slow, sender):
                s.sendall(b"JOIN #a\\nJOIN #b\\n")
                read_until(s, lambda d: d.count(b"OK JOIN") >= 2)
            read_until(slow, lambda d: d.count(b"JOINED") >= 2)  # the sender joined both; then slow stops reading
            text = b"x" * 1500
            sender.sendall(b"".join(b"MSG #%s %s\\n" % (room, text) for room in (b"a", b"b") * 4))
            replies = read_until(sender, lambda d: d.count(b"OK MSG") >= 8)
            print(" ".join(l.split()[-1].decode() for l in replies.split(b"\\n") if l.startswith(b"OK MSG")))
            got = read_until(slow, lambda d: False)  # returns when the server closes it
            print(got.count(b"MSG #"), got.count(b"NOTICE"))
            """], timeout: 60)
        let lines = run.output.split(separator: "\n")
        try #require(lines.count == 2, "client: \(run.output)")
        let counts = lines[0].split(separator: " ")
        #expect(counts.prefix(3) == ["1/1", "1/1", "0/1"], "replies: \(lines[0])")
        #expect(counts.dropFirst(2).allSatisfy { $0.hasPrefix("0/") }, "nothing after the limit is counted: \(lines[0])")
        #expect(lines[1] == "0 0", "closed at once, its queue dropped, as any slow reader: \(lines[1])")
        server.stop()
        #expect(server.log.contains("reason=slow-reader"), "\(server.log)")
    }
}
