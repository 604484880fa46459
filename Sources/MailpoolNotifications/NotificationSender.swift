import MailpoolAccounts

/// Sends validated notifications through one protocol.
public protocol NotificationSender: Sendable {
    /// Sends `notification` unless an earlier attempt already got it through.
    ///
    /// - Parameters:
    ///   - resuming: an earlier attempt may have reached the server (a retry, or a copy the broker
    ///     delivered again after a worker or its connection died).
    ///   - stillHeld: false once the delivery was given back to the broker, which may hand it to
    ///     another worker: nothing is sent after that (the sender throws ``DeliveryReleased``).
    /// - Throws: ``OutcomePending`` when an earlier attempt's outcome cannot be known yet.
    func send(_ notification: ValidatedNotification, resuming: Bool, stillHeld: @escaping @Sendable () -> Bool) async throws -> SendOutcome

    /// Takes this process's share of per-mailbox limits that apply to the whole pool, `processes`
    /// worker processes sending.
    func shareLimits(among processes: Int) async
}

extension NotificationSender {
    /// Limits that apply to each process (SMTP has none pool-wide).
    public func shareLimits(among processes: Int) async {}
}

/// What became of a notification handed to a sender.
public enum SendOutcome: Sendable, Equatable {
    /// Sent now.
    case sent
    /// An earlier attempt had got it through; nothing was sent now.
    case alreadySent
}

/// An earlier attempt may still take effect (Graph files a sent message seconds after accepting it, and
/// a request may arrive late): ask again after `retryAfter` seconds.
public struct OutcomePending: Error, Sendable, CustomStringConvertible {
    public let retryAfter: Double

    public var description: String { "an earlier attempt may still take effect; looking again in \(Int(retryAfter.rounded(.up))) s" }
}

/// The delivery went back to the broker (its channel closed) before anything was sent; the copy the
/// broker delivers again carries on.
public struct DeliveryReleased: Error, Sendable {}
