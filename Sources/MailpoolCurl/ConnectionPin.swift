import Synchronization

/// Keeps a series of mail commands on one connection, for protocols whose state lives in the session
/// (POP3 message numbers and pending deletions). The first transfer records its connection (by local
/// port); a later transfer that would run on another connection, because the first one died and libcurl
/// connected again, is stopped before it sends anything and fails with
/// ``CurlError/connectionReplaced`` set.
public final class ConnectionPin: Sendable {
    private let localPort = Mutex<Int32?>(nil)

    public init() {}

    /// True when a transfer may go out on the connection with this local port.
    func admits(localPort port: Int32) -> Bool {
        localPort.withLock { pinned in
            guard let pinned else {
                pinned = port
                return true
            }
            return pinned == port
        }
    }
}
