// ExampleConfigTests: the shipped example config (Scripts/deploy/tlschatd.toml)
// cannot go stale: every flag tlschatd's argument parser knows (read from the
// binary's own JSON description, so flags added later count too) has a key
// in it, set or commented with its default; the file is accepted by
// `tlschatd check` next to the test PKI; and the keys it marks [live] are
// exactly those a running server reloads (ConfigReloader.liveKeys).
@testable import ChatServerKit
import Foundation
import Testing

@Suite("example config file")
struct ExampleConfigTests {
    static let example = RepoPaths.root + "/Scripts/deploy/tlschatd.toml"

    /// Every long option of `tlschatd --experimental-dump-help` but --config, --help and --version.
    static func flagNames() throws -> [String] {
        let dump = Subprocess.run(RepoPaths.executable("tlschatd"), ["--experimental-dump-help"], timeout: 30)
        let root = try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any]
        let arguments = (root?["command"] as? [String: Any])?["arguments"] as? [[String: Any]] ?? []
        return arguments.compactMap { argument in
            ((argument["names"] as? [[String: Any]]) ?? []).first { $0["kind"] as? String == "long" }?["name"] as? String
        }.filter { !ConfigOption.commandLineOnly.contains($0) }
    }

    /// The keys the example sets or shows commented out ("key = ..." or "# key = ...").
    static func keysInExample() throws -> [String: String] {
        var found: [String: String] = [:]
        for line in try String(contentsOfFile: example, encoding: .utf8).split(separator: "\n") {
            let body = line.hasPrefix("# ") ? line.dropFirst(2) : line[...]
            guard let equals = body.range(of: " = ") else { continue }
            let key = String(body[..<equals.lowerBound])
            if key.allSatisfy({ $0.isLowercase || $0 == "-" }) { found[key] = String(line) }
        }
        return found
    }

    @Test("every flag of tlschatd --help has a key in the example config")
    func everyFlagHasAKey() throws {
        let flags = try Self.flagNames()
        #expect(flags.count > 40, "the parser's description lists the flags: \(flags)")
        let keys = try Self.keysInExample()
        for flag in flags { #expect(keys[flag] != nil, "Scripts/deploy/tlschatd.toml has no key '\(flag)'") }
        for key in keys.keys { #expect(flags.contains(key), "the example has '\(key)', which is not a tlschatd flag") }
    }

    @Test("tlschatd check accepts the example next to the test PKI")
    func exampleParses() throws {
        let directory = try NATSServerProcess.temporaryDirectory("example-config")
        defer { NATSServerProcess.remove(directory) }
        let pki = TestPKI.shared
        for (from, to) in [(pki.cert("server"), "server.pem"), (pki.key("server"), "server.key"), (pki.cert("ca"), "ca.pem")] {
            try FileManager.default.copyItem(atPath: from, toPath: directory + "/" + to)
        }
        try FileManager.default.copyItem(atPath: Self.example, toPath: directory + "/tlschatd.toml")
        let check = Subprocess.run(RepoPaths.executable("tlschatd"), ["check", "--config", directory + "/tlschatd.toml"], timeout: 30)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("ok   config"), "\(check.output)")
    }

    @Test("the keys marked [live] are the ones a running server reloads")
    func liveMarkersMatchTheReloader() throws {
        let text = try String(contentsOfFile: Self.example, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var marked: Set<String> = []
        for (index, line) in lines.enumerated() where line.hasSuffix("[live]") && index + 1 < lines.count {
            let next = lines[index + 1].hasPrefix("# ") ? String(lines[index + 1].dropFirst(2)) : lines[index + 1]
            if let equals = next.range(of: " = ") { marked.insert(String(next[..<equals.lowerBound])) }
        }
        #expect(marked == ConfigReloader.liveKeys)
    }
}
