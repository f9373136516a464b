// FuzzCorpusRegressionTests: replays every committed fuzz input in
// Tests/Fuzz/Corpus/TARGET/ through the same invariant checks the libFuzzer
// targets run (FuzzChecks.swift, FuzzChecks+ServerCore.swift), so the seeds
// and any crash input copied there are regression tests of `swift test`.
//
// What it does: finds the repository from #filePath, lists each target's
// corpus directory, and records one issue per file that breaks an invariant,
// naming the file. It also fails when a corpus directory is empty or named
// after no target (such inputs would silently never be replayed).
// What it does not do: fuzz (Scripts/fuzz does), or survive a ChatCore trap:
// an input that makes ChatCore itself crash stops the test process.
import ChatCore
import Foundation
import Testing

private let corpusRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/Fuzz/Corpus")

/// Target name (Scripts/fuzz --list) -> its check.
private let fuzzTargets: [String: @Sendable ([UInt8]) throws -> Void] = [
    "line-framer": { try FuzzChecks.checkLineFramer($0) },
    "command-parser": { try FuzzChecks.checkCommandParser($0) },
    "server-core": { try FuzzChecks.checkServerCore($0) },
]

private func corpusFiles(_ target: String) throws -> [URL] {
    let directory = corpusRoot.appendingPathComponent(target)
    return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        .filter { !$0.lastPathComponent.hasPrefix(".") }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

@Suite("Fuzz corpus regressions")
struct FuzzCorpusRegressionTests {
    @Test("every committed fuzz input still satisfies its target's invariants",
          arguments: ["line-framer", "command-parser", "server-core"])
    func replayCorpus(target: String) throws {
        let check = try #require(fuzzTargets[target])
        let files = try corpusFiles(target)
        #expect(!files.isEmpty, "no inputs in Tests/Fuzz/Corpus/\(target)")
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            do {
                try check(bytes)
            } catch {
                Issue.record("Tests/Fuzz/Corpus/\(target)/\(file.lastPathComponent): \(error)")
            }
        }
    }

    @Test("every corpus directory belongs to a fuzz target, so none is skipped")
    func noOrphanCorpus() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: corpusRoot.path)
            .filter { !$0.hasPrefix(".") }
        #expect(Set(directories) == Set(fuzzTargets.keys))
    }
}
