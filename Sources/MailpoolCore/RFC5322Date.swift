#if canImport(Glibc)
import Glibc
#endif

/// The `Date:` header format of RFC 5322, e.g. `Fri, 27 Nov 2026 10:00:00 +0000`, formatted (in UTC) and
/// parsed with the C library (thread-safe and cheap, unlike creating a DateFormatter per message).
public enum RFC5322Date {
    public static func string(secondsSince1970 seconds: Double) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S +0000", &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Seconds since 1970 for a `Date:` header value: the day name is optional, the zone is numeric
    /// or `GMT`/`UT` (as HTTP's `Date` header has it), and a trailing comment such as `(UTC)` is
    /// ignored. Nil when the text is not such a date.
    public static func parse(_ text: String) -> Double? {
        var value = Substring(text)
        if let comment = value.firstIndex(of: "(") { value = value[..<comment] }
        if let comma = value.firstIndex(of: ",") { value = value[value.index(after: comma)...] }
        let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 5, let day = Int(fields[0]), let month = months.firstIndex(of: fields[1].lowercased()),
              let year = Int(fields[2]) else { return nil }
        let zoneField = ["GMT", "UT"].contains(fields[4].uppercased()) ? "+0000" : fields[4]
        guard zoneField.count == 5, let zone = Int(zoneField.dropFirst()), zoneField.first == "+" || zoneField.first == "-" else {
            return nil
        }
        let clock = fields[3].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (1...31).contains(day), clock[0] < 24, clock[1] < 60, clock[2] < 61 else { return nil }
        let offset = (zone / 100 * 3600 + zone % 100 * 60) * (zoneField.first == "-" ? -1 : 1)
        let seconds = daysSince1970(year: year, month: month + 1, day: day) * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2]
        return Double(seconds - offset)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
