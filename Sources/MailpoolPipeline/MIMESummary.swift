import Foundation
import MailpoolCore

/// What an InboundMail event needs from a stored MIME message (headers and the attachments' names,
/// types and decoded sizes), read line by line so that a large message is never held in memory.
/// Used for IMAP4 and POP3, where the server gives only the raw message.
struct MIMESummary {
    var from: InboundMailEvent.Address?
    var to: [InboundMailEvent.Address] = []
    var cc: [InboundMailEvent.Address] = []
    var subject = ""
    var messageID: String?
    var date: Date?
    var attachments: [InboundMailEvent.Attachment] = []

    init(file path: String) throws {
        var reader = try LineReader(path: path)
        let headers = Self.headers(&reader)
        from = headers["from"].flatMap { Self.addresses($0).first }
        to = headers["to"].map(Self.addresses) ?? []
        cc = headers["cc"].map(Self.addresses) ?? []
        subject = headers["subject"] ?? ""
        messageID = headers["message-id"]
        date = headers["date"].flatMap(Self.date)
        if let boundary = Self.boundary(headers["content-type"]) {
            scanParts(&reader, boundaries: [boundary])
        }
    }

    /// Walks multipart bodies (nested too), noting each part that is an attachment.
    private mutating func scanParts(_ reader: inout LineReader, boundaries: [String]) {
        var current: (headers: [String: String], encodedBytes: Int, base64: Bool)?
        func finish(_ part: (headers: [String: String], encodedBytes: Int, base64: Bool)?) {
            guard let part, let name = Self.attachmentName(part.headers) else { return }
            let size = part.base64 ? part.encodedBytes * 3 / 4 : part.encodedBytes
            attachments.append(.init(name: name, contentType: part.headers["content-type"].map(Self.mediaType), size: size))
        }
        var stack = boundaries
        while let line = reader.next() {
            if let boundary = stack.last, line.hasPrefix("--" + boundary) {
                finish(current)
                current = nil
                if line.hasPrefix("--" + boundary + "--") {
                    stack.removeLast()
                    continue
                }
                let headers = Self.headers(&reader)
                if let nested = Self.boundary(headers["content-type"]) {
                    stack.append(nested)
                } else {
                    current = (headers, 0, headers["content-transfer-encoding"]?.lowercased() == "base64")
                }
            } else if var part = current {
                part.encodedBytes += part.base64 ? line.filter { !$0.isWhitespace && $0 != "=" }.count : line.utf8.count + 2
                current = part
            }
        }
        finish(current)
    }

    /// Header fields up to the blank line, unfolded, names lower-cased (first occurrence wins).
    private static func headers(_ reader: inout LineReader) -> [String: String] {
        var fields: [String: String] = [:]
        var last: String?
        while let line = reader.next(), !line.isEmpty {
            if let first = line.first, first == " " || first == "\t", let name = last {
                fields[name, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                if fields[name] == nil { fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
                last = name
            }
        }
        return fields
    }

    private static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/") else { return nil }
        return parameter("boundary", in: contentType)
    }

    private static func attachmentName(_ headers: [String: String]) -> String? {
        let disposition = headers["content-disposition"]
        let name = disposition.flatMap { parameter("filename", in: $0) } ?? headers["content-type"].flatMap { parameter("name", in: $0) }
        guard let name else { return nil }
        return disposition?.lowercased().hasPrefix("inline") == true ? nil : name
    }

    private static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pieces = part.split(separator: "=", maxSplits: 1)
            guard pieces.count == 2, pieces[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            return pieces[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    private static func mediaType(_ contentType: String) -> String {
        String(contentType.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// `"Name" <a@b>, c@d` → addresses.
    static func addresses(_ header: String) -> [InboundMailEvent.Address] {
        header.split(separator: ",").compactMap { entry in
            let text = entry.trimmingCharacters(in: .whitespaces)
            if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
                let name = text[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return .init(name: name.isEmpty ? nil : name, address: String(text[text.index(after: open)..<close]))
            }
            return text.contains("@") ? .init(name: nil, address: text) : nil
        }
    }

    private static func date(_ text: String) -> Date? {
        RFC5322Date.parse(text).map(Date.init(timeIntervalSince1970:))
    }
}

/// Reads a file line by line (CRLF or LF) through a 64 KB buffer.
struct LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.failed("cannot read \(path)") }
        self.handle = handle
    }

    mutating func next() -> String? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 10) {
                var end = newline
                if end > position && buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = newline + 1
                return line
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let line = String(decoding: buffer[position...], as: UTF8.self)
                position = buffer.count
                return line
            }
            buffer.removeFirst(position)
            position = 0
            let chunk = (try? handle.read(upToCount: 1 << 16)) ?? nil
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { atEnd = true }
        }
    }
}
