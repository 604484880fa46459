import CCurl
import CMailpoolShims

/// libcurl's multi handle. `wakeUp()` may be called from any thread (curl_multi_wakeup is
/// thread-safe); everything else only from the engine's thread.
final class MultiHandle: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer

    init(maxConnectionsPerHost: Int) {
        multi = curl_multi_init()
        _ = mp_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = mp_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        // libcurl's default cache size follows the transfers in progress: as a burst of requests ends
        // it closes the connections it used, and the next burst opens them again (against Graph, a
        // TLS handshake each).
        _ = mp_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 4 * maxConnectionsPerHost)
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    func add(_ easy: UnsafeMutableRawPointer) {
        curl_multi_add_handle(multi, easy)
    }

    func remove(_ easy: UnsafeMutableRawPointer) {
        curl_multi_remove_handle(multi, easy)
    }

    func perform() {
        var running: Int32 = 0
        curl_multi_perform(multi, &running)
    }

    /// Transfers that finished since the last call, with their result codes.
    func completed() -> [(UnsafeMutableRawPointer, CURLcode)] {
        var done: [(UnsafeMutableRawPointer, CURLcode)] = []
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            if message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle {
                done.append((easy, message.pointee.data.result))
            }
        }
        return done
    }

    /// Waits for socket activity, a wake-up, or `milliseconds`.
    func poll(milliseconds: Int32) {
        curl_multi_poll(multi, nil, 0, milliseconds, nil)
    }

    func wakeUp() {
        curl_multi_wakeup(multi)
    }
}
