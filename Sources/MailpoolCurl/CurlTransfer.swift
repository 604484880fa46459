import CCurl
import CMailpoolShims
#if canImport(Glibc)
import Glibc
#endif

/// One request in flight on the engine's thread: the easy handle, the memory libcurl points into, and
/// what has arrived so far. Created and used only on the engine's thread.
final class CurlTransfer {
    let handle: UnsafeMutableRawPointer
    let continuation: CheckedContinuation<CurlResponse, any Error>
    let host: String
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private(set) var headers: [(name: String, value: String)] = []
    private(set) var body: [UInt8] = []
    private(set) var bodyLength = 0
    private var file: Int32 = -1
    private var errorBodiesStayInMemory = false
    private var upload: [UInt8] = []
    private var uploaded = 0
    private var hasUpload = false
    private var uploadFinished = false
    private var fileError: Int32 = 0
    private var repeatable = true
    private var pin: ConnectionPin?
    /// The transfer was stopped because it would have run on another connection than its pin's.
    private var refusedByPin = false
    /// Times libcurl was about to send the request on a connection.
    private var sendings = 0

    init(handle: UnsafeMutableRawPointer, request: some CurlRequest, sink: ResponseSink,
         continuation: CheckedContinuation<CurlResponse, any Error>) throws(CurlError) {
        self.handle = handle
        self.continuation = continuation
        self.host = Self.host(of: request.url)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        if case .file(let path) = sink {
            file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard file >= 0 else {
                throw CurlError(code: Int(CURLE_WRITE_ERROR.rawValue),
                                message: "cannot create \(path): \(String(cString: strerror(errno)))", host: host)
            }
        }
        configure(request)
    }

    deinit {
        lists.forEach { curl_slist_free_all($0) }
        errorBuffer.deallocate()
        if file >= 0 { close(file) }
    }

    /// Keeps a string list alive (and frees it) with the transfer.
    func list(_ items: [String]) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>?
        for item in items { list = curl_slist_append(list, item) }
        if let list { lists.append(list) }
        return list
    }

    private func configure(_ request: some CurlRequest) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        mp_curl_setopt_string(handle, CURLOPT_URL, request.url)
        mp_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        mp_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        mp_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        mp_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        mp_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        errorBodiesStayInMemory = request.errorBodiesStayInMemory
        repeatable = request.repeatable
        pin = request.pin
        request.configure(handle, transfer: self)
        // libcurl re-sends a request by itself when a reused connection turns out dead before any
        // response byte ("Connection died, retrying a fresh connect"), and after an HTTP/2 REFUSED_STREAM.
        // The server may have carried the first one out, so a request that is not repeatable is let
        // out once: a second sending aborts the transfer, which then fails as possibly processed.
        // A pinned transfer is stopped the same way when its connection is not the pin's.
        mp_curl_set_prereq_callback(handle, { context, _, _, _, localPort in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            if let pin = transfer.pin, !pin.admits(localPort: localPort) {
                transfer.refusedByPin = true
                return Int32(CURL_PREREQFUNC_ABORT)
            }
            transfer.sendings += 1
            return transfer.sendings > 1 && !transfer.repeatable ? Int32(CURL_PREREQFUNC_ABORT) : Int32(CURL_PREREQFUNC_OK)
        }, me)
        mp_curl_set_write_callback(handle, { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        }, me)
        mp_curl_set_header_callback(handle, { data, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }, me)
    }

    /// Sends `bytes` as the upload (IMAP APPEND, SMTP DATA) through the read callback.
    func setUpload(_ bytes: [UInt8]) {
        upload = bytes
        hasUpload = true
        mp_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        mp_curl_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count))
        mp_curl_set_read_callback(handle, { buffer, size, count, context in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.readUpload(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func readUpload(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, upload.count - uploaded)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + uploaded, byteCount: count)
        }
        uploaded += count
        // libcurl stops reading at the announced size, so "all handed over" is this, not a read of 0.
        uploadFinished = uploaded == upload.count
        return count
    }

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if bodyLength == 0, file >= 0, errorBodiesStayInMemory, status >= 300 {
            // Error bodies (JSON) stay in memory for the caller to read; only success goes to the file.
            close(file)
            file = -1
        }
        bodyLength += bytes.count
        guard file >= 0 else {
            body.append(contentsOf: bytes)
            return bytes.count
        }
        var offset = 0
        while offset < bytes.count {
            let written = write(file, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                fileError = errno
                return 0  // makes libcurl abort with CURLE_WRITE_ERROR
            }
            offset += written
        }
        return bytes.count
    }

    private func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        var line = bytes[...]
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") { line.removeLast() }
        if line.starts(with: "HTTP/".utf8) {
            headers.removeAll()  // a new response (after 100 Continue or a redirect)
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let value = line[(colon + 1)...].drop { $0 == UInt8(ascii: " ") }
            headers.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
    }

    /// Completes the caller's await with the outcome libcurl reported.
    func finish(_ code: CURLcode) {
        guard code == CURLE_OK else {
            var message = String(cString: errorBuffer)
            if message.isEmpty { message = String(cString: curl_easy_strerror(code)) }
            if fileError != 0 { message += ": \(String(cString: strerror(fileError)))" }
            var error = CurlError(code: Int(code.rawValue), message: message, host: host)
            error.responseCode = status
            error.mayHaveBeenProcessed = hasUpload ? uploadFinished : sendings > 0
            error.connectionReplaced = refusedByPin
            continuation.resume(throwing: error)
            return
        }
        let status = self.status
        if file >= 0, fsync(file) != 0 {
            continuation.resume(throwing: CurlError(code: Int(CURLE_WRITE_ERROR.rawValue),
                                                    message: "fsync failed: \(String(cString: strerror(errno)))", host: host))
            return
        }
        continuation.resume(returning: CurlResponse(status: status, headers: headers, body: body, bodyLength: bodyLength))
    }

    /// The HTTP status of the (latest) response.
    private var status: Int {
        var status = 0
        mp_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return status
    }

    /// New connections this transfer had to open (0 when it reused one).
    var connectionsOpened: Int {
        var count = 0
        mp_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &count)
        return count
    }

    /// The URL's host (and port), without user information: `https://u@graph.example:8443/v1.0` →
    /// `graph.example:8443`. (On UTF-8: through Characters it cost 2 % of the notification worker.)
    static func host(of url: String) -> String {
        let bytes = url.utf8
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: "://".utf8) else { return "?" }
        let rest = bytes[bytes.index(colon, offsetBy: 3)...]
        let authority = rest.prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") }
        let host = authority.lastIndex(of: UInt8(ascii: "@")).map { authority[authority.index(after: $0)...] } ?? authority
        return String(Substring(host))
    }
}
