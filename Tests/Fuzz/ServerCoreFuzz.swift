// ServerCoreFuzz: the libFuzzer entry point of the `server-core` target
// (Scripts/fuzz server-core SECONDS).
//
// What it does: hands each input to FuzzChecks.checkServerCore
// (Tests/ChatCoreTests/FuzzChecks+ServerCore.swift), which plays it as a
// script of connects, lines, disconnects and shutdowns from four simulated
// clients against one ChatServerCore; a broken invariant becomes a
// fatalError so libFuzzer saves the input.
// What it does not do: any check of its own (they live in FuzzChecks, shared
// with FuzzCorpusRegressionTests); it is not part of the SwiftPM package.
import ChatCore

@_cdecl("LLVMFuzzerTestOneInput")
public func serverCoreFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        try FuzzChecks.checkServerCore(Array(UnsafeBufferPointer(start: data, count: size)))
    } catch {
        fatalError("server-core invariant broken: \(error)")
    }
    return 0
}
