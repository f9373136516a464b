// FileWatchTargets: which directory entries can change what a path leads to,
// for FileWatcher. For each path: its own name in its directory; when it is a
// symlink, the first component of the link's text (Kubernetes swaps a
// `..data` directory symlink, not the file's) and each further hop; and the
// final target's name in its real directory (an in-place write is seen
// there). Directories are canonical (realpath), so `Certs` and `/abs/Certs`
// are one directory; a directory that does not exist now keeps its path as
// given (made absolute) so it can be watched once it is back. It only reads
// the file system (lstat, readlink, realpath); it watches nothing.
#if canImport(Glibc)
import Glibc
#endif

struct FileWatchTargets: Equatable {
    /// Canonical directory -> the entry names in it that matter.
    private(set) var names: [String: Set<String>] = [:]
    /// The directories, in the order first found (the first `limit` are kept).
    private(set) var directories: [String] = []

    /// At most this many symlink hops are followed per path.
    static let maximumHops = 8

    init(paths: [String], limit: Int) {
        for path in paths {
            var current = Self.absolute(path)
            for _ in 0..<Self.maximumHops {
                let (directory, name) = Self.split(current)
                add(directory, name, limit: limit)
                guard let link = Self.readLink(current) else { break }
                let first = link.split(separator: "/").first.map(String.init) ?? ""
                if !link.hasPrefix("/"), first != ".", first != "..", !first.isEmpty, first != name {
                    add(directory, first, limit: limit)
                }
                current = link.hasPrefix("/") ? link : directory + "/" + link
            }
            if let real = Self.realPath(path) {
                let (directory, name) = Self.split(real)
                add(directory, name, limit: limit)
            }
        }
    }

    private mutating func add(_ directory: String, _ name: String, limit: Int) {
        let canonical = Self.realPath(directory) ?? directory
        if names[canonical] == nil {
            guard directories.count < limit else { return }
            directories.append(canonical)
        }
        names[canonical, default: []].insert(name)
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + path
    }

    /// (directory, last component) of an absolute path.
    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    static func realPath(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// The text of a symlink, or nil when `path` is not one.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, Int(PATH_MAX))
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
