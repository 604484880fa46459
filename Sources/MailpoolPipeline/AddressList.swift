/// An RFC 5322 address list (`From`, `To`, `Cc`) read the way mail libraries read it: display names
/// quoted or not (a comma inside quotes belongs to the name), comments skipped, groups
/// (`undisclosed-recipients: a@b, c@d;`) flattened, obsolete source routes (`<@relay:a@b>`) dropped,
/// RFC 2047 encoded words in names decoded. An empty `<>` is no address.
enum AddressList {
    static func parse(_ text: String) -> [InboundMailEvent.Address] {
        var addresses: [InboundMailEvent.Address] = []
        var phrase = ""         // display name so far
        var bare = ""           // the text when there is no angle address
        var angle: String?
        var characters = Array(text)[...]

        func flush() {
            defer { phrase = ""; bare = ""; angle = nil }
            if let angle {
                let address = angle.split(separator: ":", maxSplits: 1).last.map(String.init) ?? ""  // drop a source route
                let trimmed = address.filter { !$0.isWhitespace }
                guard !trimmed.isEmpty else { return }
                let name = EncodedWords.decode(collapse(phrase))
                addresses.append(.init(name: name.isEmpty ? nil : name, address: trimmed))
            } else {
                let address = bare.filter { !$0.isWhitespace }
                if !address.isEmpty { addresses.append(.init(name: nil, address: address)) }
            }
        }

        while let character = characters.popFirst() {
            switch character {
            case "\"":
                let quoted = readQuoted(&characters)
                phrase += quoted.isEmpty ? "" : "\u{0}" + quoted + "\u{0}"
                bare += quoted
            case "(":
                skipComment(&characters)
                phrase += " "
            case "<":
                var content = ""
                while let next = characters.popFirst(), next != ">" { content.append(next) }
                angle = content
            case ":" where angle == nil:
                phrase = ""; bare = ""  // a group's name
            case ";":
                flush()
            case ",":
                flush()
            default:
                phrase.append(character)
                bare.append(character)
            }
        }
        flush()
        return addresses
    }

    /// Unquoted runs of whitespace become one space and the ends are trimmed; quoted text (between the
    /// NUL markers `readQuoted`'s caller puts around it) stays as written.
    private static func collapse(_ phrase: String) -> String {
        var result = ""
        var quoted = false
        var pendingSpace = false
        for character in phrase {
            if character == "\u{0}" {
                quoted.toggle()
                continue
            }
            if !quoted && (character == " " || character == "\t" || character == "\r" || character == "\n") {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace { result.append(" ") }
            pendingSpace = false
            result.append(character)
        }
        return result
    }

    private static func readQuoted(_ characters: inout ArraySlice<Character>) -> String {
        var text = ""
        while let next = characters.popFirst() {
            if next == "\\", let escaped = characters.popFirst() {
                text.append(escaped)
            } else if next == "\"" {
                break
            } else {
                text.append(next)
            }
        }
        return text
    }

    private static func skipComment(_ characters: inout ArraySlice<Character>) {
        var depth = 1
        while depth > 0, let next = characters.popFirst() {
            switch next {
            case "\\": _ = characters.popFirst()
            case "(": depth += 1
            case ")": depth -= 1
            default: break
            }
        }
    }
}
