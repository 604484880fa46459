import Synchronization

/// What `/health/ready` checks: the broker connected, the topology declared, the accounts file valid.
/// A process starts not ready and says which of these it lacks.
public final class Readiness: Sendable {
    /// One condition of readiness.
    public enum Check: String, Sendable, CaseIterable {
        case brokerConnected = "broker connected"
        case topologyDeclared = "topology declared"
        case accountsValid = "accounts file valid"
    }

    private let met = Mutex<Set<Check>>([])
    private let brokerConnected = Mutex<(@Sendable () -> Bool)?>(nil)

    public init() {}

    /// Marks a condition met (or no longer met).
    public func set(_ check: Check, _ isMet: Bool = true) {
        met.withLock { met in
            if isMet { met.insert(check) } else { met.remove(check) }
        }
    }

    /// Asked at each readiness check: whether the broker connection is up right now.
    public func watchBroker(_ isConnected: @escaping @Sendable () -> Bool) {
        brokerConnected.withLock { $0 = isConnected }
        set(.brokerConnected)
    }

    /// The conditions not met, in a fixed order; empty when ready.
    public var missing: [String] {
        var met = self.met.withLock { $0 }
        if let broker = brokerConnected.withLock({ $0 }), !broker() { met.remove(.brokerConnected) }
        return Check.allCases.filter { !met.contains($0) }.map(\.rawValue)
    }
}
