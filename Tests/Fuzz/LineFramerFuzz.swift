// LineFramerFuzz: the libFuzzer entry point of the `line-framer` target
// (Scripts/fuzz line-framer SECONDS).
//
// What it does: hands each input to FuzzChecks.checkLineFramer
// (Tests/ChatCoreTests/FuzzChecks.swift), which reads a maximum line length
// and chunk sizes from the first bytes and feeds the rest to LineFramer whole,
// byte by byte and in those chunks, comparing with the spec's framing; a
// broken invariant becomes a fatalError so libFuzzer saves the input.
// What it does not do: any check of its own (they live in FuzzChecks, shared
// with FuzzCorpusRegressionTests); it is not part of the SwiftPM package.
import ChatCore

@_cdecl("LLVMFuzzerTestOneInput")
public func lineFramerFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        try FuzzChecks.checkLineFramer(Array(UnsafeBufferPointer(start: data, count: size)))
    } catch {
        fatalError("line-framer invariant broken: \(error)")
    }
    return 0
}
