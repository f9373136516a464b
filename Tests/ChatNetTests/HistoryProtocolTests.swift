// HistoryProtocolTests: the real tlschatd's history as a client and an
// operator see it. A client written only from PROTOCOL.md section 11
// (Tests/Fixtures/history_client.py) uses the opt-in, HISTORY paging,
// join-history and private history; a client that does not opt in sees the
// pre-history lines; retention keeps the newest N per room. At start, a
// database tlschatd cannot use (corrupt, newer schema, another program's,
// locked by another tlschatd, not a file) stops it with one line naming the
// file; the files it creates are 0600. Crash and disk-full faults are in
// HistoryDurabilityTests.
import Foundation
import Testing

@Suite("history protocol and start-up (tlschatd)", .serialized)
struct HistoryProtocolTests {
    let pki = TestPKI.shared

    @Test("a client written from PROTOCOL.md: scenario passes", arguments: [
        "protocol|--history-on-join 3",
        "no_opt_in|",
        "retention|--history-max-messages-per-room 5",
    ])
    func pythonScenario(_ caseText: String) throws {
        let parts = caseText.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let server = try ServerProcess(parts[1].split(separator: " ").map(String.init))
        defer { server.stop() }
        let result = Subprocess.run("python3", [HistoryDurabilityTests.protocolClient, parts[0], String(server.port), pki.directory],
                                    timeout: 60)
        #expect(result.status == 0 && result.output.contains("PASSED \(parts[0])"),
                "\(result.output)\n--- server log (tail) ---\n\(server.log.suffix(2000))")
        #expect(!server.log.contains("secret") && !server.log.contains("r19"), "message contents must never be logged")
    }

    /// Runs tlschatd on `database` (expected to refuse it); returns its output and exit status.
    func startRefused(_ database: String) -> Subprocess.Result {
        let executable = RepoPaths.executable("tlschatd")
        return Subprocess.run(executable, ["--cert", pki.cert("server"), "--key", pki.key("server"),
                                           "--listen", "127.0.0.1:0", "--history", database], timeout: 20)
    }

    /// Checks tlschatd exited non-zero on its own with exactly one line, naming `database` and saying `why`.
    func expectOneLineRefusal(_ result: Subprocess.Result, _ database: String, _ why: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = result.output.split(separator: "\n")
        #expect(result.status > 0, "exit status \(result.status): \(result.output)", sourceLocation: sourceLocation)
        #expect(lines.count == 1, "one line expected: \(result.output)", sourceLocation: sourceLocation)
        #expect(lines.first?.contains(database) == true && lines.first?.contains(why) == true,
                "expected '\(why)' about \(database): \(result.output)", sourceLocation: sourceLocation)
    }

    @Test("start-up faults: each stops tlschatd with one line naming the database file", arguments: [
        "corrupt", "newer schema", "another program's", "a directory", "under a regular file",
    ])
    func startUpFault(_ fault: String) throws {
        let directory = try HistoryDurabilityTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var database = directory + "/history.sqlite"
        let why: String
        switch fault {
        case "corrupt":
            var garbage = SplitMix64(seed: 13)
            let bytes = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &garbage) }
            try Data(bytes).write(to: URL(fileURLWithPath: database))
            why = "is corrupt or not an SQLite database"
        case "newer schema":
            try python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version = 99'); c.commit()", database)
            why = "has schema version 99, newer than version"
        case "another program's":
            try python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE notes (t)'); c.commit()", database)
            why = "an SQLite database of another program"
        case "a directory":
            try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: false)
            why = "Is a directory"
        default:  // tests run as root, so chmod 000 would not stop the server: a path below a file does
            try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory + "/file"))
            database = directory + "/file/history.sqlite"
            why = "Not a directory"
        }
        expectOneLineRefusal(startRefused(database), database, why)
    }

    @Test("a database in use by another tlschatd: the second one stops with one line naming the file and the holder's pid")
    func lockedDatabase() throws {
        let directory = try HistoryDurabilityTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/history.sqlite"
        let first = try ServerProcess(["--history", database])
        defer { first.stop() }
        let result = startRefused(database)
        expectOneLineRefusal(result, database, "is in use by another tlschatd (pid \(first.child.pid))")
        // The first server is unharmed: it still stores and answers.
        let check = Subprocess.run("python3", [HistoryDurabilityTests.protocolClient, "no_opt_in", String(first.port), pki.directory],
                                   timeout: 30)
        #expect(check.status == 0 && check.output.contains("PASSED no_opt_in"), "the first server after the refusal: \(check.output)")
    }

    @Test("the database and its WAL are created 0600")
    func databaseFilesArePrivate() throws {
        let directory = try HistoryDurabilityTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/history.sqlite"
        let oldMask = umask(0)  // the server inherits it: 0600 must come from tlschatd, not from the umask
        let server: ServerProcess
        do { server = try ServerProcess(["--history", database]) } catch { umask(oldMask); throw error }
        umask(oldMask)
        defer { server.stop() }
        for file in [database, database + "-wal", database + "-shm", database + ".lock"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
        }
    }

    private func python(_ program: String, _ argument: String) throws {
        let result = Subprocess.run("python3", ["-c", program, argument])
        guard result.status == 0 else { throw TestFailure("python3: \(result.output)") }
    }
}
