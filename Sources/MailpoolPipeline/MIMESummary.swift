import FoundationEssentials
import MailpoolCore

/// What an InboundMail event needs from a stored MIME message: subject, addresses, date, Message-ID,
/// and the attachments' names, types and decoded sizes. It reads the file line by line, so that a large
/// message is never held in memory, and matches Python's `email` package (`policy.default`) on real
/// mail (the corpus test): headers unfolded and RFC 2047-decoded, addresses parsed as RFC 5322 lists,
/// RFC 2231 parameters, obsolete date forms.
///
/// An attachment is a leaf part (multipart parts are descended into; an attached message is a leaf)
/// with a file name, from Content-Disposition's `filename` or Content-Type's `name`, that is not
/// `Content-Disposition: inline`. Its size is the decoded body in octets, line ends counted as CRLF.
public struct MIMESummary: Sendable, Equatable {
    public var from: InboundMailEvent.Address?
    public var to: [InboundMailEvent.Address] = []
    public var cc: [InboundMailEvent.Address] = []
    public var subject = ""
    public var messageID: String?
    public var date: Date?
    public var attachments: [InboundMailEvent.Attachment] = []

    public init(file path: String) throws {
        var reader = try LineReader(path: path)
        let headers = Self.headers(&reader)
        from = headers["from"].flatMap { AddressList.parse($0).first }
        to = headers["to"].map(AddressList.parse) ?? []
        cc = headers["cc"].map(AddressList.parse) ?? []
        subject = headers["subject"].map(EncodedWords.decode) ?? ""
        messageID = headers["message-id"].map { $0.trimmingWhitespace }
        date = headers["date"].flatMap(RFC5322Date.parse).map(Date.init(timeIntervalSince1970:))
        let type = MIMEHeaderValue(headers["content-type"] ?? "text/plain")
        if type.value.hasPrefix("multipart/"), let boundary = type.parameters["boundary"] {
            scanParts(&reader, boundary: boundary, digest: type.value == "multipart/digest")
        }
    }

    /// Walks multipart bodies (nested too), noting each leaf part that is an attachment.
    private mutating func scanParts(_ reader: inout LineReader, boundary: String, digest: Bool) {
        var stack: [(boundary: [UInt8], digest: Bool)] = [(Array(("--" + boundary).utf8), digest)]
        var part: PartSize?
        var pending: (headers: [String: String], defaultType: String)?
        func finish() {
            guard let current = part, let (headers, defaultType) = pending else { return }
            let type = MIMEHeaderValue(headers["content-type"] ?? defaultType)
            let disposition = headers["content-disposition"].map(MIMEHeaderValue.init)
            guard let name = disposition?.parameters["filename"] ?? type.parameters["name"], disposition?.value != "inline" else { return }
            attachments.append(.init(name: name, contentType: type.value.contains("/") ? type.value : defaultType, size: current.octets))
        }
        while let line = reader.next() {
            if let level = Self.delimiter(line, in: stack) {
                finish()
                part = nil
                pending = nil
                stack.removeLast(stack.count - 1 - level.index)
                if level.closing {
                    stack.removeLast()
                    continue
                }
                let defaultType = stack.last!.digest ? "message/rfc822" : "text/plain"
                let headers = Self.headers(&reader)
                let type = MIMEHeaderValue(headers["content-type"] ?? defaultType)
                if type.value.hasPrefix("multipart/"), let nested = type.parameters["boundary"] {
                    stack.append((Array(("--" + nested).utf8), type.value == "multipart/digest"))
                } else {
                    pending = (headers, defaultType)
                    part = PartSize(encoding: headers["content-transfer-encoding"]?.trimmingWhitespace.lowercased() ?? "")
                }
            } else if stack.isEmpty {
                return  // the epilogue
            } else {
                part?.add(line)
            }
        }
        finish()
    }

    /// Which open boundary the line is a delimiter of (innermost first), and whether it closes it.
    private static func delimiter(_ line: [UInt8], in stack: [(boundary: [UInt8], digest: Bool)]) -> (index: Int, closing: Bool)? {
        guard line.count >= 2, line[0] == UInt8(ascii: "-"), line[1] == UInt8(ascii: "-") else { return nil }
        for index in stack.indices.reversed() {
            let boundary = stack[index].boundary
            guard line.starts(with: boundary) else { continue }
            var rest = line[boundary.count...]
            let closing = rest.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")])
            if closing { rest = rest.dropFirst(2) }
            if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return (index, closing) }
        }
        return nil
    }

    /// Header fields up to the blank line, unfolded (the line break removed, the whitespace kept),
    /// names lower-cased, first occurrence wins.
    private static func headers(_ reader: inout LineReader) -> [String: String] {
        var fields: [String: String] = [:]
        var last: String?
        while let bytes = reader.next(), !bytes.isEmpty {
            let line = String(decoding: bytes, as: UTF8.self)
            if let first = line.first, first == " " || first == "\t" {
                if let name = last { fields[name]! += line }
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].trimmingWhitespace.lowercased()
                if fields[name] == nil {
                    fields[name] = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
                    last = name
                } else {
                    last = nil
                }
            }
        }
        return fields.mapValues { $0.trimmingWhitespace }
    }
}

/// A part's decoded size, counted line by line as the body goes by.
private struct PartSize {
    let encoding: String
    private(set) var octets = 0
    /// The line break after the previous line: counted only if another line follows, because the
    /// break before a boundary belongs to the boundary.
    private var pendingBreak = 0

    init(encoding: String) {
        self.encoding = encoding
    }

    mutating func add(_ line: [UInt8]) {
        switch encoding {
        case "base64":
            octets += line.filter(Self.isBase64).count * 3 / 4  // whole groups of 4 on every line, as encoders write
        case "quoted-printable":
            octets += pendingBreak
            var content = line[...]
            while let last = content.last, last == 0x20 || last == 0x09 { content.removeLast() }
            let soft = content.last == UInt8(ascii: "=")
            if soft { content.removeLast() }
            octets += Self.decodedLength(content)
            pendingBreak = soft ? 0 : 2
        default:
            octets += pendingBreak + line.count
            pendingBreak = 2
        }
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2B || byte == 0x2F
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    /// Octets of quoted-printable text: `=XX` is one.
    private static func decodedLength(_ text: ArraySlice<UInt8>) -> Int {
        var count = 0
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == UInt8(ascii: "="), index + 2 < text.endIndex, isHex(text[index + 1]), isHex(text[index + 2]) {
                index += 3
            } else {
                index += 1
            }
            count += 1
        }
        return count
    }
}

/// Reads a file line by line (CRLF or LF, the break removed) through a 64 KB buffer.
struct LineReader {
    private let file: FileReader
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false

    init(path: String) throws {
        guard let file = FileReader(path: path) else { throw StoreError.failed("cannot read \(path)") }
        self.file = file
    }

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 10) {
                var end = newline
                if end > position && buffer[end - 1] == 13 { end -= 1 }
                let line = Array(buffer[position..<end])
                position = newline + 1
                return line
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let line = Array(buffer[position...])
                position = buffer.count
                return line
            }
            buffer.removeFirst(position)
            position = 0
            let chunk = (try? file.read(upTo: 1 << 16)) ?? []
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
