// LimitOptionsTests: the chat/1 limits that became tlschatd options for issue
// 16 (--max-rooms-per-client, --max-rooms, --max-list-items, --max-name-length,
// --max-room-name-length): out-of-range values are refused at start naming the
// flag and its range, and --help lists them. Their effect on the protocol is
// checked by ConformanceKitTests, which runs the kit against lowered limits.
import Foundation
import Testing

@Suite("tlschatd limit options")
struct LimitOptionsTests {
    let pki = TestPKI.shared

    @Test("an out-of-range limit is refused at start, naming the flag and the range", arguments: [
        ("--max-rooms-per-client", "0", "--max-rooms-per-client must be 1...1000"),
        ("--max-rooms", "0", "--max-rooms must be 1...1000000"),
        ("--max-list-items", "0", "--max-list-items must be 1...100000"),
        ("--max-name-length", "33", "--max-name-length must be 16...32"),
        ("--max-room-name-length", "40", "--max-room-name-length must be 1...32"),
    ])
    func outOfRangeRefused(_ flag: String, _ value: String, _ expected: String) {
        let result = Subprocess.run(RepoPaths.executable("tlschatd"),
                                    ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0",
                                     "--history", "none", flag, value], timeout: 20)
        #expect(result.status != 0)
        #expect(result.output.contains(expected), "output: \(result.output)")
        #expect(!result.output.contains("listening"))
    }

    @Test("a --lobby longer than --max-room-name-length is refused")
    func lobbyFollowsRoomNameLength() {
        let result = Subprocess.run(RepoPaths.executable("tlschatd"),
                                    ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0",
                                     "--history", "none", "--max-room-name-length", "3", "--lobby", "#Main"], timeout: 20)
        #expect(result.status != 0)
        #expect(result.output.contains("--lobby must be a room name (# and 1-3 characters"), "output: \(result.output)")
    }

    @Test("--help lists every limit option")
    func helpListsThem() {
        let result = Subprocess.run(RepoPaths.executable("tlschatd"), ["--help"], timeout: 20)
        for flag in ["--max-rooms-per-client", "--max-rooms ", "--max-list-items", "--max-name-length", "--max-room-name-length"] {
            #expect(result.output.contains(flag), "--help lacks \(flag)")
        }
    }
}
