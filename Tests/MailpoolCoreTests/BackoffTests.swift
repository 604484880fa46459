import MailpoolCore
import Testing

@Test func backoffGrowsExponentiallyWithinJitterBounds() {
    let backoff = Backoff(initial: 1, maximum: 30)
    for attempt in 0..<8 {
        let ceiling = min(30, pow2(attempt))
        for _ in 0..<100 {
            let delay = backoff.delay(forAttempt: attempt)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
    }
}

@Test func backoffNeverExceedsMaximum() {
    let backoff = Backoff(initial: 0.1, maximum: 2)
    #expect((0..<1000).allSatisfy { backoff.delay(forAttempt: $0 % 64) <= 2 })
}

private func pow2(_ n: Int) -> Double { (0..<n).reduce(1.0) { value, _ in value * 2 } }
