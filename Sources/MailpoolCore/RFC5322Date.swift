#if canImport(Glibc)
import Glibc
#endif

/// The `Date:` header format of RFC 5322, e.g. `Fri, 27 Nov 2026 10:00:00 +0000`, formatted (in UTC) and
/// parsed with the C library (thread-safe and cheap, unlike creating a DateFormatter per message).
public enum RFC5322Date {
    public static func string(secondsSince1970 seconds: Double) -> String {
        UTCTime.format("%a, %d %b %Y %H:%M:%S +0000", secondsSince1970: seconds)
    }

    /// Seconds since 1970 for a `Date:` header value, in RFC 5322's form and its obsolete ones: the day
    /// name optional, seconds optional, a two-digit year (00–49 → 2000s, 50–99 → 1900s) or three-digit
    /// one (+1900), the zone numeric or a name (`UT`, `UTC`, `GMT`, `Z`, and the US zones `EST` … `PDT`),
    /// comments such as `(EDT)` ignored. `-0000` is Universal Time. Nil when the text is not such a date
    /// or has no zone.
    public static func parse(_ text: String) -> Double? {
        let fields = words(text)
        guard fields.count >= 4 else { return nil }
        // `day month year time zone`, or `month day year time zone` as some mailers write it.
        var day: Int, month: Int
        if let number = Int(fields[0]), let name = months.firstIndex(of: fields[1].prefix(3).lowercased()) {
            (day, month) = (number, name)
        } else if let name = months.firstIndex(of: fields[0].prefix(3).lowercased()), let number = Int(fields[1]) {
            (day, month) = (number, name)
        } else {
            return nil
        }
        guard var year = Int(fields[2]), fields[2].count >= 2, fields.count >= 5 else { return nil }
        switch fields[2].count {
        case 2: year += year < 50 ? 2000 : 1900
        case 3: year += 1900
        default: break
        }
        let clock = fields[3].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(clock.count), clock.allSatisfy({ $0 != nil }) else { return nil }
        let (hour, minute, second) = (clock[0]!, clock[1]!, clock.count == 3 ? clock[2]! : 0)
        guard (1...31).contains(day), (0..<24).contains(hour), (0..<60).contains(minute), (0...60).contains(second),
              let offset = zoneOffset(fields[4]) else { return nil }
        let seconds = daysSince1970(year: year, month: month + 1, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Double(seconds - offset)
    }

    /// The header's words without comments, the day name and its comma.
    private static func words(_ text: String) -> [Substring] {
        var plain = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1
            case ")": depth = max(0, depth - 1)
            case "," where depth == 0: plain.append(" ")
            default: if depth == 0 { plain.append(character) }
            }
        }
        var fields = plain.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
        if let first = fields.first, days.contains(first.prefix(3).lowercased()), Int(first) == nil { fields.removeFirst() }
        return fields
    }

    /// Seconds east of UTC for a zone field.
    private static func zoneOffset(_ field: Substring) -> Int? {
        if let sign = field.first, sign == "+" || sign == "-", field.count == 5, let value = Int(field.dropFirst()) {
            let offset = value / 100 * 3600 + value % 100 * 60
            return sign == "-" ? -offset : offset
        }
        return namedZones[field.uppercased()].map { $0 * 3600 }
    }

    private static let namedZones = ["UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
                                     "MST": -7, "MDT": -6, "PST": -8, "PDT": -7]
    private static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

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
