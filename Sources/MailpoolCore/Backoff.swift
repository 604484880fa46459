/// Exponential backoff with jitter: attempt `n` (0-based) waits a random time between half and all of
/// `min(maximum, initial * multiplier^n)` seconds, so that many clients failing together spread out.
public struct Backoff: Sendable, Equatable {
    /// Delay before the first retry, in seconds.
    public var initial: Double
    /// Upper bound of any delay, in seconds.
    public var maximum: Double
    public var multiplier: Double

    public init(initial: Double, maximum: Double, multiplier: Double = 2) {
        precondition(initial > 0 && maximum >= initial && multiplier >= 1, "invalid backoff")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The delay in seconds before retry number `attempt` (0 for the first retry).
    public func delay(forAttempt attempt: Int) -> Double {
        var ceiling = initial
        for _ in 0..<max(0, attempt) where ceiling < maximum {
            ceiling *= multiplier
        }
        ceiling = min(ceiling, maximum)
        return ceiling / 2 + Double.random(in: 0...(ceiling / 2))
    }
}
