import Synchronization

/// Which opening ("generation") of each consumer channel is live, shared by the connection's thread
/// (which changes it) and deliveries (which ask whether they are still held). A delivery from an
/// earlier generation has been given back to the broker for redelivery.
final class ChannelGenerations: Sendable {
    private let live = Mutex<[UInt16: UInt64]>([:])

    func current(_ channel: UInt16) -> UInt64? {
        live.withLock { $0[channel] }
    }

    func set(_ channel: UInt16, _ generation: UInt64) {
        live.withLock { $0[channel] = generation }
    }

    func remove(_ channel: UInt16) {
        _ = live.withLock { $0.removeValue(forKey: channel) }
    }

    func removeAll() {
        live.withLock { $0.removeAll() }
    }
}
