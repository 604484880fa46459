import FoundationEssentials
import MailpoolCore

/// Where a credential comes from in the accounts file: `{"env": "NAME"}`, `{"file": "/run/secrets/x"}`,
/// or (discouraged, warned about) the value inline as a string.
public enum SecretReference: Sendable, Equatable, Codable {
    case inline(String)
    case environment(String)
    case file(String)

    public init(from decoder: any Decoder) throws {
        if let value = try? decoder.singleValueContainer().decode(String.self) {
            self = .inline(value)
            return
        }
        let object = try decoder.container(keyedBy: CodingKeys.self)
        if let name = try object.decodeIfPresent(String.self, forKey: .env) {
            self = .environment(name)
        } else if let path = try object.decodeIfPresent(String.self, forKey: .file) {
            self = .file(path)
        } else {
            throw DecodingError.dataCorruptedError(forKey: .env, in: object,
                                                   debugDescription: "a secret is a string, {\"env\": NAME} or {\"file\": PATH}")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .inline(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .environment(let name):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .env)
        case .file(let path):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(path, forKey: .file)
        }
    }

    enum CodingKeys: String, CodingKey { case env, file }

    /// Reads the secret. A file's trailing newline is dropped (as `echo` writes one).
    /// The secret, or why it cannot be read.
    public func resolve(environment: [String: String]) -> (secret: Secret?, problem: String?) {
        switch self {
        case .inline(let value):
            return (Secret(value), nil)
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else { return (nil, "environment variable \(name) is not set") }
            return (Secret(value), nil)
        case .file(let path):
            guard let value = try? String(contentsOfFile: path, encoding: .utf8) else { return (nil, "cannot read \(path)") }
            return (Secret(value.trimming(\.isNewline)), nil)
        }
    }

    var isInline: Bool {
        if case .inline = self { return true }
        return false
    }
}
