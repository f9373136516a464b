// DescriptorLimit: raises this process's soft limit on open descriptors to its
// hard limit, since every connection costs one (a server holding thousands of
// clients, a load generator opening thousands). It never asks for more than
// the hard limit and changes nothing else.
#if canImport(Glibc)
import Glibc
#endif

public enum DescriptorLimit {
    /// Raises the soft RLIMIT_NOFILE to the hard one; no-op when they are already equal.
    public static func raiseToHardLimit() throws(Errno) {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { throw Errno.current }
        guard limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(resource, &limit) == 0 else { throw Errno.current }
    }
}
