import FoundationEssentials
import MailpoolCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The IDs of notifications the mail server accepted, shared by the pool through a directory (a volume
/// all workers mount). A notification whose ID is here is not sent again.
///
/// Each store appends 16-byte records (the first half of the ID's SHA-256) to a log of its own, one per
/// UTC hour: `<root>/<yyyyMMddHH>/<writer>.ids`. It keeps the IDs of the window in memory (about 32 bytes
/// each) and reads what the other workers appended: at most every `peerInterval`, and at once when asked
/// for a `thorough` check (a retry or redelivery, when another worker may have just sent it). Hours older
/// than the window are deleted. A record survives the process being killed; it is not flushed to disk,
/// so an operating-system crash may lose the last seconds of records — for Graph senders the Sent Items
/// check still stops a resend then.
public final class DedupeStore: Sendable {
    public let root: String
    /// How long an ID is remembered, in seconds.
    public let window: Double
    let peerInterval: Duration
    private let writer: String
    private let state = Mutex(State())

    private struct State {
        var hours: [String: Set<UInt128>] = [:]
        /// Other writers' logs of recent hours, by path: bytes already read.
        var tailed: [String: Int] = [:]
        /// This writer's current log: its hour (hours since 1970) and directory name.
        var ownHour = (number: -1, name: "")
        var ownDescriptor: Int32 = -1
        var lastPeerRead: ContinuousClock.Instant?
    }

    /// Loads the records of the last `window` seconds from `root` (created if missing).
    public init(root: String, window: Double = 24 * 3600, peerInterval: Duration = .milliseconds(100)) throws {
        self.root = root
        self.window = window
        self.peerInterval = peerInterval
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let name = host.textUpToNUL.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        writer = "\(name.isEmpty ? "worker" : name)-\(getpid())-\(UInt32.random(in: .min ... .max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        state.withLock { state in
            prune(&state, now: Date())
            readPeers(&state, now: Date())
        }
    }

    deinit {
        state.withLock { if $0.ownDescriptor >= 0 { close($0.ownDescriptor) } }
    }

    /// Whether `id` was recorded within the window. `thorough` reads the other workers' latest records
    /// first; otherwise they are read if the last look is older than `peerInterval`.
    public func contains(_ id: String, thorough: Bool = false) -> Bool {
        let key = Self.key(id)
        return state.withLock { state in
            let now = ContinuousClock.now
            if thorough || state.lastPeerRead.map({ now - $0 >= peerInterval }) ?? true {
                readPeers(&state, now: Date())
                state.lastPeerRead = now
            }
            return state.hours.values.contains { $0.contains(key) }
        }
    }

    /// Records that `id` was accepted: one append to this writer's log of the current hour.
    public func record(_ id: String) throws {
        var key = Self.key(id)
        let now = Date()
        let hour = Int(now.timeIntervalSince1970) / 3600
        try state.withLock { state in
            if hour != state.ownHour.number || state.ownDescriptor < 0 {
                if state.ownDescriptor >= 0 { close(state.ownDescriptor) }
                state.ownDescriptor = -1
                let name = Self.hourName(now)
                mkdir("\(root)/\(name)", 0o755)
                let descriptor = open("\(root)/\(name)/\(writer).ids", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                guard descriptor >= 0 else { throw Self.failure(errno, "cannot open a dedupe log in \(root)/\(name)") }
                state.ownDescriptor = descriptor
                state.ownHour = (hour, name)
                prune(&state, now: now)
            }
            let written = withUnsafeBytes(of: &key) { write(state.ownDescriptor, $0.baseAddress, 16) }
            guard written == 16 else { throw Self.failure(written < 0 ? errno : EIO, "cannot append to the dedupe log \(root)/\(state.ownHour.name)/\(writer).ids") }
            state.hours[state.ownHour.name, default: []].insert(key)
        }
    }

    /// Reads the other writers' logs: new hours in full, the last two hours from where it stopped.
    private func readPeers(_ state: inout State, now: Date) {
        let live = Set([Self.hourName(now), Self.hourName(now - 3600)])
        let oldest = Self.hourName(now - window)
        for hour in hourDirectories() where hour >= oldest {
            let known = state.hours[hour] != nil
            guard !known || live.contains(hour) else { continue }
            let files = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(hour)")) ?? []
            var keys = state.hours[hour] ?? []
            for file in files where file.hasSuffix(".ids") && file != "\(writer).ids" {
                let path = "\(root)/\(hour)/\(file)"
                let start = state.tailed[path] ?? 0
                let end = Self.readRecords(path, from: start) { keys.insert($0) }
                if live.contains(hour) { state.tailed[path] = end }
            }
            state.hours[hour] = keys
        }
        state.tailed = state.tailed.filter { path, _ in live.contains { path.hasPrefix("\(root)/\($0)/") } }
    }

    /// Forgets and deletes the hours older than the window.
    private func prune(_ state: inout State, now: Date) {
        let oldest = Self.hourName(now - window)
        for hour in state.hours.keys where hour < oldest { state.hours[hour] = nil }
        for hour in hourDirectories() where hour < oldest {
            try? FileManager.default.removeItem(atPath: "\(root)/\(hour)")
        }
    }

    /// The hour directories under the root (`yyyyMMddHH`).
    private func hourDirectories() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter(Self.isHourName)
    }

    /// Calls `body` for each whole record from byte `offset` on; returns the offset after the last one.
    private static func readRecords(_ path: String, from offset: Int, _ body: (UInt128) -> Void) -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return offset }
        defer { close(descriptor) }
        var position = offset
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(position)) }
            let whole = count > 0 ? count - count % 16 : 0
            guard whole > 0 else { return position }
            buffer.withUnsafeBytes { bytes in
                for start in stride(from: 0, to: whole, by: 16) { body(bytes.loadUnaligned(fromByteOffset: start, as: UInt128.self)) }
            }
            position += whole
        }
    }

    private static func key(_ id: String) -> UInt128 {
        MessageDigest.hash(id.utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt128.self) }
    }

    private static func hourName(_ date: Date) -> String {
        UTCTime.format("%Y%m%d%H", secondsSince1970: date.timeIntervalSince1970)
    }

    private static func isHourName(_ name: String) -> Bool {
        name.utf8.count == 10 && name.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static func failure(_ code: Int32, _ message: String) -> DedupeStoreError {
        DedupeStoreError(description: "\(message): \(String(cString: strerror(code)))")
    }
}

/// The dedupe store could not write a record.
public struct DedupeStoreError: Error, CustomStringConvertible {
    public let description: String
}
