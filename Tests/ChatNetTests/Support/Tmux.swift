// Tmux: a private tmux server and session that runs our interactive client
// as a person would: send-keys types, capture-pane reads the screen. Each
// test gets its own socket and session name and kills it at the end. Waits
// poll the screen against a deadline; no fixed sleeps.
import Foundation

/// One private tmux server and session for a test (own socket, unique name), killed by `kill()`.
final class Tmux {
    let name = "tlschat-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    private func run(_ arguments: [String]) -> Subprocess.Result {
        Subprocess.run("/usr/bin/env", ["LANG=C.UTF-8", "LC_ALL=C.UTF-8", "tmux", "-u", "-L", name] + arguments, timeout: 10)
    }

    /// Starts the session. Not through `Subprocess`/`Process`: the tmux server this
    /// forks would inherit Foundation's exit-detection descriptor and the wait would
    /// last as long as the server. So: posix_spawn with stdio on /dev/null, a clean
    /// signal mask (so the server stays killable), and waitpid on the client alone.
    func start(_ shellCommand: String) throws {
        let arguments = ["/usr/bin/env", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "tmux", "-u", "-L", name,
                         "new-session", "-d", "-s", name, "-x", "100", "-y", "30", shellCommand]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { environment.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environment)
        guard spawned == 0 else { throw TestFailure("cannot start tmux: errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        if status != 0 { throw TestFailure("tmux new-session failed with wait status \(status)") }
    }

    func keys(literal text: String) { _ = run(["send-keys", "-t", name, "-l", text]) }
    func keys(_ key: String) { _ = run(["send-keys", "-t", name, key]) }
    func screen() -> String { run(["capture-pane", "-p", "-t", name]).output }
    func cursorColumn() -> Int? { Int(run(["display-message", "-p", "-t", name, "#{cursor_x}"]).output.trimmingCharacters(in: .whitespacesAndNewlines)) }

    /// Polls the screen until `condition` holds or `timeout` seconds pass.
    func waitForScreen(timeout: TimeInterval = 20, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(screen()) {
            if Date() >= deadline { return false }
            usleep(50_000)
        }
        return true
    }

    /// Kills this test's session (and with it this private tmux server).
    func kill() {
        _ = run(["kill-session", "-t", name])
    }
}

extension String {
    /// The last line with something other than spaces, without trailing spaces.
    var lastNonEmptyLine: String {
        let lines = split(separator: "\n").map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }
        return lines.last(where: { !$0.isEmpty }) ?? ""
    }
}
