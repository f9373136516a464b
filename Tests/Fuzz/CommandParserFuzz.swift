// CommandParserFuzz: the libFuzzer entry point of the `command-parser` target
// (Scripts/fuzz command-parser SECONDS).
//
// What it does: hands each input, as one line, to
// FuzzChecks.checkCommandParser (Tests/ChatCoreTests/FuzzChecks.swift):
// determinism, BAD_UTF8/BAD_TEXT exactly when the spec says, verb case,
// argument shapes and re-encoding round trips; a broken invariant becomes a
// fatalError so libFuzzer saves the input.
// What it does not do: any check of its own (they live in FuzzChecks, shared
// with FuzzCorpusRegressionTests); it is not part of the SwiftPM package.
import ChatCore

@_cdecl("LLVMFuzzerTestOneInput")
public func commandParserFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        try FuzzChecks.checkCommandParser(Array(UnsafeBufferPointer(start: data, count: size)))
    } catch {
        fatalError("command-parser invariant broken: \(error)")
    }
    return 0
}
