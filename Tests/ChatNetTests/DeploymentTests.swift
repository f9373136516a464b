// DeploymentTests: what an administrator installs and systemd runs (README
// "Deploying"): Scripts/install into a temporary prefix (twice: idempotent)
// puts the binaries, both man pages (rendered with `man -l`) and the unit
// (checked with `systemd-analyze verify`) in place, and --uninstall removes
// exactly those files; tlschatd speaks the service manager's notification
// protocol to a socket we bind (Tests/Fixtures/notify_socket.py): READY
// once it listens, WATCHDOG pings when asked for, RELOADING and READY around
// SIGHUP, STOPPING at SIGTERM.
import Foundation
import Testing

@Suite("deployment: install, man pages, systemd unit and notifications", .serialized)
struct DeploymentTests {
    @Test("Scripts/install into a prefix, twice; man pages render; the unit verifies; --uninstall removes exactly that")
    func installAndUninstall() throws {
        let prefix = try NATSServerProcess.temporaryDirectory("prefix")
        defer { NATSServerProcess.remove(prefix) }
        let keep = prefix + "/share/keep-me"
        try FileManager.default.createDirectory(atPath: prefix + "/share", withIntermediateDirectories: true)
        try "mine".write(toFile: keep, atomically: true, encoding: .utf8)
        let build = URL(fileURLWithPath: RepoPaths.executable("tlschatd")).deletingLastPathComponent().path
        let files = ["bin/tlschatd", "bin/tlschat", "share/man/man8/tlschatd.8", "share/man/man1/tlschat.1",
                     "lib/systemd/system/tlschatd.service", "share/tlschat/tlschatd.toml.example"]
        for round in 1...2 {
            let run = Subprocess.run(RepoPaths.root + "/Scripts/install", ["--prefix", prefix, "--from", build], timeout: 600)
            #expect(run.status == 0, "install round \(round): \(run.output)")
            for file in files { #expect(FileManager.default.fileExists(atPath: prefix + "/" + file), "\(file) after round \(round)") }
        }
        let unit = try String(contentsOfFile: prefix + "/lib/systemd/system/tlschatd.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=\(prefix)/bin/tlschatd --config /etc/tlschat/tlschatd.toml ") && unit.contains("Type=notify"))
        for (page, flag) in [("man8/tlschatd.8", "--client-ca"), ("man1/tlschat.1", "--reconnect")] {
            let shown = Subprocess.run("env", ["MANWIDTH=200", "man", "-l", prefix + "/share/man/" + page], timeout: 30)
            #expect(shown.status == 0 && shown.output.contains(flag), "man -l \(page): \(shown.output.prefix(500))")
        }
        let verify = Subprocess.run("env", ["MANPATH=\(prefix)/share/man", "systemd-analyze", "verify",
                                            prefix + "/lib/systemd/system/tlschatd.service"], timeout: 60)
        #expect(verify.status == 0 && verify.output.isEmpty, "systemd-analyze verify: \(verify.output)")
        let removed = Subprocess.run(RepoPaths.root + "/Scripts/install", ["--prefix", prefix, "--uninstall"], timeout: 60)
        #expect(removed.status == 0, "\(removed.output)")
        for file in files { #expect(!FileManager.default.fileExists(atPath: prefix + "/" + file), "\(file) left after --uninstall") }
        #expect(FileManager.default.fileExists(atPath: keep), "--uninstall removed a file it did not install")
    }

    @Test("sd_notify: READY once listening, WATCHDOG pings, RELOADING/READY on SIGHUP, STOPPING on SIGTERM")
    func notifiesTheServiceManager() throws {
        let directory = try NATSServerProcess.temporaryDirectory("notify")
        defer { NATSServerProcess.remove(directory) }
        let socketPath = directory + "/notify.sock"
        let listener = try ChildProcess("python3", [RepoPaths.root + "/Tests/Fixtures/notify_socket.py", socketPath, "60"])
        defer { listener.stop(signal: SIGKILL) }
        #expect(listener.waitForOutput("LISTENING", timeout: 20))
        let server = try ServerProcess([], environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "200000"])
        #expect(listener.waitForOutput("READY=1", timeout: 20), "\(listener.stdout.text)")
        #expect(listener.stdout.text.contains("STATUS=serving chat/1 on tls 127.0.0.1:\(server.port)"), "\(listener.stdout.text)")
        #expect(ChildProcess.waitUntil(timeout: 10) { listener.stdout.text.components(separatedBy: "WATCHDOG=1").count > 3 },
                "pings every 100 ms: \(listener.stdout.text)")
        kill(server.child.pid, SIGHUP)
        #expect(listener.waitForOutput("RELOADING=1", timeout: 10), "\(listener.stdout.text)")
        #expect(ChildProcess.waitUntil(timeout: 10) { listener.stdout.text.components(separatedBy: "READY=1").count > 2 })
        _ = server.stop()
        #expect(listener.waitForOutput("STOPPING=1", timeout: 10), "\(listener.stdout.text)")
    }
}
