#if canImport(Glibc)
import Glibc
#endif

/// The `Date:` header format of RFC 5322 in UTC, e.g. `Fri, 27 Nov 2026 10:00:00 +0000`, formatted
/// with the C library (thread-safe and cheap, unlike creating a DateFormatter per message).
public enum RFC5322Date {
    public static func string(secondsSince1970 seconds: Double) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S +0000", &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
