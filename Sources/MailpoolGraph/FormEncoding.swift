import MailpoolCore
/// `application/x-www-form-urlencoded` encoding, as token requests need it.
enum FormEncoding {
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\($0.0.percentEncoded)=\($0.1.percentEncoded)" }.joined(separator: "&")
    }
}
