// Swift Testing is on the module path only when tests are built; `swift build -c release` builds this
// target too (it is a plain target, so that every test target can share it), and gets the rest of it.
#if canImport(Testing)
import Testing

/// Waits until `condition` holds, checking every 50 ms, for at most `seconds`; past that, records
/// `message` as the test's issue and throws.
///
/// The limit bounds a failing run only: a passing one returns as soon as the condition holds. Keep it
/// generous, since the tests share two cores with the broker and the servers.
public func eventually(within seconds: Double, _ message: @autoclosure () -> String = "condition not met in time",
                       sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
#endif
