import CCurl
import CMailpoolShims
import Dispatch
import MailpoolCore
import MailpoolCurl
#if canImport(Glibc)
import Glibc
#endif

/// A read-only IMAP session on a connection of its own: the folder is EXAMINEd and messages are fetched
/// with `UID FETCH uid BODY.PEEK[]`, so that reading a message never sets \Seen. (libcurl's IMAP URLs
/// fetch `BODY[]`, which sets it; libcurl still connects, does TLS and logs in here.) Its commands run
/// one at a time on a thread of its own, as they block.
public final class IMAPReader: @unchecked Sendable {
    private let reader: OpaquePointer
    private let server: String
    private let queue = DispatchQueue(label: "mailpool.imap-reader")
    private var closed = false

    private init(reader: OpaquePointer, server: String) {
        self.reader = reader
        self.server = server
    }

    /// Connects, logs in and EXAMINEs `folder`. A command that waits longer than `stallTimeout`
    /// seconds for the server fails.
    public static func open(endpoint: MailServerEndpoint, folder: String = "INBOX", connectTimeout: Double = 10,
                            stallTimeout: Double = 60) async throws(LegacyMailError) -> IMAPReader {
        let server = "\(endpoint.host):\(endpoint.port)"
        let result: Result<IMAPReader, LegacyMailError> = await onThread { () -> Result<IMAPReader, LegacyMailError> in
            var code = CURLE_OK
            var error = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE))
            let reader = mp_imap_reader_open(endpoint.baseURL("imap") + "/", endpoint.user, endpoint.password.value, endpoint.caFile,
                                             1, "EXAMINE \(IMAPClient.quote(folder))", Int(connectTimeout * 1000),
                                             Int(stallTimeout * 1000), &code, &error, error.count)
            guard let reader else {
                return .failure(LegacyMailError(CurlError(code: Int(code.rawValue), message: error.textUpToNUL, host: server),
                                                command: "EXAMINE", upload: false))
            }
            return .success(IMAPReader(reader: reader, server: server))
        }
        return try result.get()
    }

    /// Streams the message into `path` without setting \Seen; returns its size.
    public func fetch(uid: UInt64, to path: String) async throws(LegacyMailError) -> Int {
        let server = self.server
        let result: Result<Int, LegacyMailError> = await queue.run { () -> Result<Int, LegacyMailError> in
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                return .failure(.connection(server: server, detail: "cannot create \(path): \(String(cString: strerror(errno)))"))
            }
            defer { Glibc.close(fd) }
            var size: Int64 = 0
            var error = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE))
            let code = mp_imap_reader_peek(self.reader, uid, fd, &size, &error, error.count)
            guard code == CURLE_OK, fsync(fd) == 0 else {
                let message = code == CURLE_OK ? "fsync failed: \(String(cString: strerror(errno)))" : error.textUpToNUL
                return .failure(LegacyMailError(CurlError(code: Int(code == CURLE_OK ? CURLE_WRITE_ERROR.rawValue : code.rawValue),
                                                          message: message, host: server),
                                                command: "UID FETCH \(uid)", upload: false))
            }
            return .success(Int(size))
        }
        return try result.get()
    }

    /// Logs out and closes the connection.
    public func close() async {
        await queue.run {
            guard !self.closed else { return }
            self.closed = true
            mp_imap_reader_close(self.reader)
        }
    }

    deinit {
        if !closed { mp_imap_reader_close(reader) }
    }

    private static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await DispatchQueue.global().run(work)
    }
}

extension DispatchQueue {
    /// Runs blocking `work` on this queue and waits for it without blocking the caller's thread.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            async { continuation.resume(returning: work()) }
        }
    }
}
