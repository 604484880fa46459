/// Publisher confirms on one channel in confirm mode: the callers waiting for each publish sequence
/// number, resolved by basic.ack / basic.nack (possibly `multiple`), and failed all together when the
/// channel or connection goes away, so that no unconfirmed publish is ever reported as done.
struct ConfirmTracker {
    private var waiting: [UInt64: ConfirmWaiter] = [:]
    /// Sequence number the next publish on the channel gets (the broker counts from 1).
    private(set) var nextSequence: UInt64 = 1
    /// Every sequence number below this one is settled.
    private var lowestUnsettled: UInt64 = 1
    /// A basic.return seen since the last confirm: RabbitMQ sends it just before the ack of the
    /// returned message, so it belongs to the next acknowledged sequence number.
    private var pendingReturn: (code: UInt16, text: String)?

    var inFlight: Int { waiting.count }

    mutating func register(_ waiter: ConfirmWaiter) {
        waiting[nextSequence] = waiter
        nextSequence += 1
    }

    mutating func returned(code: UInt16, text: String) {
        pendingReturn = (code, text)
    }

    mutating func ack(_ sequence: UInt64, multiple: Bool) {
        if let returned = pendingReturn {
            pendingReturn = nil
            waiting.removeValue(forKey: sequence)?
                .resume(throwing: AMQPError.unroutable(replyCode: returned.code, replyText: returned.text))
        }
        settle(sequence, multiple: multiple) { $0.resume() }
    }

    mutating func nack(_ sequence: UInt64, multiple: Bool) {
        settle(sequence, multiple: multiple) { $0.resume(throwing: AMQPError.publishNacked) }
    }

    /// Fails every waiting publish and starts counting afresh, as a newly opened channel does.
    mutating func failAll(_ error: AMQPError) {
        for continuation in waiting.values { continuation.resume(throwing: error) }
        waiting.removeAll()
        nextSequence = 1
        lowestUnsettled = 1
        pendingReturn = nil
    }

    private mutating func settle(_ sequence: UInt64, multiple: Bool,
                                 _ resolve: (ConfirmWaiter) -> Void) {
        guard multiple else {
            waiting.removeValue(forKey: sequence).map(resolve)
            return
        }
        guard sequence >= lowestUnsettled else { return }
        for settled in lowestUnsettled...sequence {
            waiting.removeValue(forKey: settled).map(resolve)
        }
        lowestUnsettled = sequence + 1
    }
}

/// Who waits for a publish's confirm: one caller, or a batch's caller, resumed once every message of
/// the batch is confirmed (or at the first failure).
enum ConfirmWaiter {
    case single(CheckedContinuation<Void, any Error>)
    case batch(BatchConfirm)

    func resume() {
        switch self {
        case .single(let continuation): continuation.resume()
        case .batch(let batch): batch.confirmed()
        }
    }

    func resume(throwing error: any Error) {
        switch self {
        case .single(let continuation): continuation.resume(throwing: error)
        case .batch(let batch): batch.failed(error)
        }
    }
}

/// The confirms a batch of publishes waits for; used on the connection's thread only.
final class BatchConfirm {
    private var remaining: Int
    private var continuation: CheckedContinuation<Void, any Error>?

    init(count: Int, continuation: CheckedContinuation<Void, any Error>) {
        remaining = count
        self.continuation = continuation
        if count == 0 { finish(nil) }
    }

    func confirmed() {
        remaining -= 1
        if remaining == 0 { finish(nil) }
    }

    func failed(_ error: any Error) {
        finish(error)
    }

    private func finish(_ error: (any Error)?) {
        guard let continuation else { return }
        self.continuation = nil
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }
}
