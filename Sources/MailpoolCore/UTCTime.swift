#if canImport(Glibc)
import Glibc
#endif

/// A time formatted in UTC with the C library's `strftime` (the C locale: English day and month
/// names), without a formatter object per call.
public enum UTCTime {
    /// `seconds` since 1970 in `pattern` (`strftime`'s conversions, e.g. `%Y%m%d%H`).
    public static func format(_ pattern: String, secondsSince1970 seconds: Double) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
