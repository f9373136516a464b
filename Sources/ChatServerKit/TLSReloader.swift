// TLSReloader: keeps the server's TLS configuration in step with its files
// without a restart. The certificate chain, key, client CA and CRL are
// watched (FileWatcher: inotify on their directories and their symlink
// targets' directories, debounced) and SIGHUP asks for a reload too; when
// inotify is out of resources, one warning says so and only SIGHUP reloads.
// A reload builds a complete new TLSContext from all the files and swaps it
// into the TLSContextProvider only if every check passes (the start-up checks,
// the chain signed in order and by the same CA as before, the client CAs kept
// (only additions, each logged), CRLs signed by the client CA); otherwise the
// previous context stays, one error line names the file and the reason, and
// the next change of any file is tried again. A refused reload whose CRL file
// changed and is good still applies that CRL to the running context (a broken
// certificate must not block a revocation). Live sessions keep the context
// they were made with; a replaced context gives back its CA store and CRLs
// once no handshake can still use it (handshake timeout). After a new CRL,
// the server is asked to end the sessions it revokes. It also warns when the
// served certificate expires within 30 days: at start, after each reload and
// once a day. A reloaded --config file that names other files hands them to
// `replace(configuration:)`: the same checks, and the new files are watched.
// It does not parse flags or decide chat rules.
import ChatNet
import Logging
#if canImport(Glibc)
import Glibc
#endif

final class TLSReloader {
    let contexts: TLSContextProvider
    private var configuration: TLSConfiguration
    private let logger: Logger
    private var watcher: FileWatcher?
    private let makeWatcher: WatcherFactory
    private var dailyCheck: LoopTimer?
    /// The files as they were at the last attempt (good or bad): an attempt repeats only after a change.
    private var attempted: [FileStamp]
    /// The files as they were when `contexts.current` was built.
    private var loaded: [FileStamp]
    /// Called after a successful reload (or a CRL applied alone) with the context new handshakes
    /// now use (ChatServer ends revoked sessions).
    var onReloaded: (TLSContext) -> Void = { _ in }
    private let loop: EventLoop
    /// Replaced contexts waiting for their last handshakes to end before they give back their store.
    private var retiring: [Int: LoopTimer] = [:]
    private var retirements = 0

    /// Makes the file watcher (a test injects a failure here).
    typealias WatcherFactory = (EventLoop, [String], @escaping () -> Void) throws -> FileWatcher
    static func inotifyWatcher(loop: EventLoop, paths: [String], onChange: @escaping () -> Void) throws -> FileWatcher {
        try FileWatcher(loop: loop, paths: paths, onChange: onChange)
    }

    /// Days before the served certificate's notAfter when warnings start.
    static let expiryWarningDays = 30

    init(configuration: TLSConfiguration, initial: TLSContext, loop: EventLoop, logger: Logger, watch: Bool,
         makeWatcher: @escaping WatcherFactory = TLSReloader.inotifyWatcher) throws {
        contexts = TLSContextProvider(initial)
        self.configuration = configuration
        self.logger = logger
        self.loop = loop
        self.makeWatcher = makeWatcher
        attempted = Self.stamps(of: Self.files(of: configuration))
        loaded = attempted
        if watch {
            do {
                watcher = try makeWatcher(loop, Self.files(of: configuration)) { [unowned self] in filesChanged() }
            } catch {
                // Out of inotify instances or watches (EMFILE, ENOSPC): serve anyway, reload on SIGHUP.
                logger.warning("cannot watch the certificate files for changes; they are reloaded on SIGHUP only", metadata: [
                    "error": "\(LogFields.quoted("\(error)"))"])
            }
        }
        warnIfExpiringSoon(initial)
        dailyCheck = loop.scheduleRepeating(every: .seconds(86_400)) { [unowned self] in
            warnIfExpiringSoon(contexts.current)
        }
    }

    deinit { close() }

    func close() {
        watcher?.close()
        watcher = nil
        for timer in retiring.values { timer.cancel() }
        retiring = [:]
        dailyCheck?.cancel()
        dailyCheck = nil
    }

    /// The files a reload reads, in the order errors name them.
    static func files(of configuration: TLSConfiguration) -> [String] {
        var files = [configuration.certificateChainFile, configuration.privateKeyFile].compactMap { $0 }
        if case .file(let path)? = configuration.trustRoots { files.append(path) }
        if let crl = configuration.revocationListFile { files.append(crl) }
        return files
    }

    /// Serves `new` (a reloaded config naming other certificate files) if its files pass
    /// every check a reload makes; throws the reason otherwise and changes nothing.
    func replace(configuration new: TLSConfiguration) throws(TLSError) {
        let fresh = try TLSContext(new)
        try fresh.checkReplaces(contexts.current)
        _ = try fresh.checkClientAuthorities(replacing: contexts.current)
        let watching = watcher != nil
        watcher?.close()
        watcher = nil
        configuration = new
        attempted = Self.stamps(of: Self.files(of: new))
        loaded = attempted
        if watching {
            watcher = try? makeWatcher(loop, Self.files(of: new)) { [unowned self] in filesChanged() }
        }
        retire(contexts.current)
        contexts.replace(with: fresh)
        logger.notice("TLS configuration replaced by the reloaded config; new handshakes use it, live sessions keep theirs", metadata: [
            "files": "\(Self.files(of: new).joined(separator: ","))", "serial": "\(fresh.servedCertificate?.serial ?? "?")"])
        for warning in fresh.warnings { logger.warning("\(warning)") }
        warnIfExpiringSoon(fresh)
        onReloaded(fresh)
    }

    /// A watched directory changed: reload if one of our files is not what was last tried.
    private func filesChanged() {
        let now = Self.stamps(of: Self.files(of: configuration))
        guard now != attempted else { return }
        reload(trigger: "file-change")
    }

    /// Builds a new context from every file; swaps it in only if all of it is good.
    func reload(trigger: String) {
        let files = Self.files(of: configuration)
        let before = Self.stamps(of: files)
        attempted = before
        defer { refreshWatches() }
        let fresh: TLSContext
        let addedAuthorities: [String]
        do {
            fresh = try TLSContext(configuration)
            try fresh.checkReplaces(contexts.current)
            addedAuthorities = try fresh.checkClientAuthorities(replacing: contexts.current)
        } catch {
            let file = files.first { error.description.contains($0) } ?? files.joined(separator: ",")
            logger.error("TLS reload refused, still serving the previous certificates", metadata: [
                "trigger": "\(trigger)", "file": "\(file)", "reason": "\(LogFields.quoted(error.description))"])
            reloadRevocationListsAlone(trigger: trigger, files: files, stamps: before, refusedFile: file)
            return
        }
        let changed = zip(files, zip(before, loaded)).filter { $0.1.0 != $0.1.1 }.map(\.0)
        loaded = before
        retire(contexts.current)
        contexts.replace(with: fresh)
        let served = fresh.servedCertificate
        logger.notice("TLS configuration reloaded; new handshakes use it, live sessions keep theirs", metadata: [
            "trigger": "\(trigger)", "changed": "\(changed.isEmpty ? "nothing" : changed.joined(separator: ","))",
            "serial": "\(served?.serial ?? "?")", "not-after": "\(LogFields.quoted(served?.notAfter ?? "?"))"])
        for warning in fresh.warnings { logger.warning("\(warning)") }
        if !addedAuthorities.isEmpty, case .file(let caFile)? = configuration.trustRoots {
            logger.warning("client CA added by a reload: client certificates issued under it are accepted from now on", metadata: [
                "file": "\(caFile)", "added": "\(LogFields.quoted(addedAuthorities.joined(separator: "; ")))"])
        }
        warnIfExpiringSoon(fresh)
        onReloaded(fresh)
    }

    /// After a refused reload: a changed, good CRL file still replaces the running context's CRLs.
    private func reloadRevocationListsAlone(trigger: String, files: [String], stamps: [FileStamp], refusedFile: String) {
        guard let crl = configuration.revocationListFile, refusedFile != crl, let index = files.lastIndex(of: crl),
              stamps[index] != loaded[index] else { return }
        let current = contexts.current
        let warnings: [String]
        do {
            warnings = try current.reloadRevocationLists()
        } catch {
            logger.error("CRL reload refused too, still using the previous CRLs", metadata: [
                "trigger": "\(trigger)", "file": "\(crl)", "reason": "\(LogFields.quoted(error.description))"])
            return
        }
        loaded[index] = stamps[index]
        logger.notice("CRL reloaded alone; new handshakes use it, the other files keep their previous versions", metadata: [
            "trigger": "\(trigger)", "changed": "\(crl)"])
        for warning in warnings { logger.warning("\(warning)") }
        onReloaded(current)
    }

    /// A replaced context: once its last handshake has ended (the handshake timeout, plus a
    /// second), its CA store and CRLs are freed; its live sessions do not need them.
    private func retire(_ old: TLSContext) {
        retirements += 1
        let id = retirements
        // weak: a context whose sessions are all gone is freed at once, store and all.
        retiring[id] = loop.schedule(after: configuration.handshakeTimeout + .seconds(1)) { [unowned self, weak old] in
            retiring[id] = nil
            guard let old else { return }
            old.releaseVerificationData()
            logger.info("released the CA certificates and CRLs of a replaced TLS context; its live sessions go on", metadata: [
                "serial": "\(old.servedCertificate?.serial ?? "?")"])
        }
    }

    private func refreshWatches() {
        do {
            try watcher?.refreshWatches()
        } catch {
            logger.warning("cannot watch a certificate directory now (tried again every second); SIGHUP still reloads", metadata: ["error": "\(error)"])
        }
    }

    private func warnIfExpiringSoon(_ context: TLSContext) {
        guard let served = context.servedCertificate, served.daysLeft < Self.expiryWarningDays else { return }
        let file = configuration.certificateChainFile ?? "?"
        logger.warning("server certificate \(file) expires in \(served.daysLeft) days, on \(served.notAfter): renew it (a changed file is reloaded without a restart)", metadata: [
            "days-left": "\(served.daysLeft)", "serial": "\(served.serial)"])
    }

    /// What identifies a file's current content: the inode and times of what the path leads to.
    struct FileStamp: Equatable {
        var device: UInt64 = 0, inode: UInt64 = 0, size: Int64 = -1
        var modified: Int = 0, modifiedNanoseconds: Int = 0, changed: Int = 0, changedNanoseconds: Int = 0
    }

    static func stamps(of files: [String]) -> [FileStamp] {
        files.map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return FileStamp() }
            return FileStamp(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                             modified: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec,
                             changed: info.st_ctim.tv_sec, changedNanoseconds: info.st_ctim.tv_nsec)
        }
    }
}
