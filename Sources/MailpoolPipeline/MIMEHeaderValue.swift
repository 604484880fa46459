import FoundationEssentials
import MailpoolCore

/// A structured MIME header value, `type/subtype; name=value; …` (Content-Type, Content-Disposition):
/// the value lower-cased, and the parameters by lower-cased name, unquoted, with RFC 2231's
/// (`name*=utf-8''%E2%82%AC.pdf`, continuations `name*0*=`, `name*1=`) joined and decoded, and RFC 2047
/// encoded words in plain values decoded.
struct MIMEHeaderValue {
    let value: String
    let parameters: [String: String]

    init(_ text: String) {
        let segments = Self.segments(text)
        value = segments.first.map { $0.trimmingWhitespace.lowercased() } ?? ""
        var sections: [String: [(index: Int, extended: Bool, text: String)]] = [:]
        for segment in segments.dropFirst() {
            guard let equals = segment.firstIndex(of: "=") else { continue }
            var name = segment[..<equals].trimmingWhitespace.lowercased()
            let text = Self.unquote(segment[segment.index(after: equals)...].trimmingWhitespace)
            let extended = name.hasSuffix("*")
            if extended { name.removeLast() }
            var index = 0
            if let star = name.lastIndex(of: "*"), let number = Int(name[name.index(after: star)...]) {
                index = number
                name = String(name[..<star])
            }
            sections[name, default: []].append((index, extended, text))
        }
        parameters = sections.mapValues(Self.join)
    }

    /// RFC 2231: sections in order; extended ones percent-decoded in the first one's charset.
    private static func join(_ sections: [(index: Int, extended: Bool, text: String)]) -> String {
        let ordered = sections.sorted { $0.index < $1.index }
        guard ordered.contains(where: \.extended) else { return EncodedWords.decode(ordered.map(\.text).joined()) }
        var charset = "utf-8"
        var bytes: [UInt8] = []
        for (position, section) in ordered.enumerated() {
            guard section.extended else {
                bytes += Array(section.text.utf8)
                continue
            }
            var text = Substring(section.text)
            if position == 0 {
                let parts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                if parts.count == 3 {
                    if !parts[0].isEmpty { charset = String(parts[0]) }
                    text = parts[2]
                }
            }
            bytes += percentDecoded(text)
        }
        return Charset.decode(bytes, charset: charset) ?? String(decoding: bytes, as: UTF8.self)
    }

    private static func percentDecoded(_ text: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = Array(text.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "%"), rest.count >= 2, let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return bytes
    }

    /// The text split at `;` outside quoted strings, comments removed.
    private static func segments(_ text: String) -> [String] {
        var segments: [String] = [""]
        var quoted = false, escaped = false, depth = 0
        for character in text {
            if escaped {
                segments[segments.count - 1].append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\" where quoted:
                segments[segments.count - 1].append(character)
                escaped = true
            case "\"" where depth == 0:
                quoted.toggle()
                segments[segments.count - 1].append(character)
            case "(" where !quoted:
                depth += 1
            case ")" where !quoted && depth > 0:
                depth -= 1
            case ";" where !quoted && depth == 0:
                segments.append("")
            default:
                if depth == 0 { segments[segments.count - 1].append(character) }
            }
        }
        return segments
    }

    /// A quoted string's content (escapes resolved), or the token as it is.
    static func unquote(_ text: String) -> String {
        guard text.first == "\"" else { return text }
        var result = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                break
            } else {
                result.append(character)
            }
        }
        return result
    }
}
