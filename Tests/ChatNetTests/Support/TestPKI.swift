// TestPKI: a throwaway certificate set for the test process, generated once
// into a temporary directory by the project's own scripts (Scripts/gen-certs
// for the good certificates, Tests/Fixtures/make-bad-certs.sh for the
// negative ones). Tests never depend on the developer's Certs/ directory.
import Foundation

enum RepoPaths {
    /// The repository root: $TLSCHAT_REPO_ROOT, else derived from this file's path.
    static let root: String = {
        if let root = ProcessInfo.processInfo.environment["TLSCHAT_REPO_ROOT"], !root.isEmpty { return root }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// A built executable next to the running test bundle (e.g. tlschatd).
    static func executable(_ name: String) -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return "\(root)/.build/debug/\(name)"
    }
}

final class TestPKI: Sendable {
    static let shared = TestPKI()
    let directory: String

    private init() {
        directory = NSTemporaryDirectory() + "tlschat-pki-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        run(RepoPaths.root + "/Scripts/gen-certs", ["--dir", directory])
        run(RepoPaths.root + "/Tests/Fixtures/make-bad-certs.sh", [path("ca.pem"), path("ca.key"), directory])
    }

    /// The path of a generated file, e.g. "alice.pem".
    func path(_ file: String) -> String { "\(directory)/\(file)" }
    func cert(_ name: String) -> String { path("\(name).pem") }
    func key(_ name: String) -> String { path("\(name).key") }

    private func run(_ executable: String, _ arguments: [String]) {
        let result = Subprocess.run(executable, arguments, timeout: 60)
        precondition(result.status == 0, "\(executable) failed: \(result.output)")
    }
}
