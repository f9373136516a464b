// CPUAffinity: which CPUs the calling thread may run on, and pinning it to
// one (sched_getaffinity / sched_setaffinity with pid 0, which on Linux is the
// calling thread). Used to report the generator's cores and by send-floor to
// pin its sender and reader threads. It never changes another process.
import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

enum CPUAffinity {
    /// The CPU numbers the calling thread may run on (empty if the kernel would not say).
    static func allowed() -> [Int] {
        var set = cpu_set_t()
        guard CLinuxShim_sched_getaffinity(MemoryLayout<cpu_set_t>.size, &set) == 0 else { return [] }
        return withUnsafeBytes(of: &set) { bytes in
            (0..<(bytes.count * 8)).filter { bytes[$0 / 8] & (1 << ($0 % 8)) != 0 }
        }
    }

    /// Pins the calling thread to `cpu`.
    static func pinCurrentThread(to cpu: Int) throws {
        var set = cpu_set_t()
        guard cpu >= 0, cpu < MemoryLayout<cpu_set_t>.size * 8 else { throw BenchError("no CPU \(cpu)") }
        withUnsafeMutableBytes(of: &set) { $0[cpu / 8] |= UInt8(1 << (cpu % 8)) }
        guard CLinuxShim_sched_setaffinity(MemoryLayout<cpu_set_t>.size, &set) == 0 else {
            throw BenchError("cannot pin to CPU \(cpu): \(String(cString: strerror(errno))) (allowed: \(allowed()))")
        }
    }
}
