import CCurl
import CMailpoolShims
import MailpoolCore

/// One IMAP, POP3 or SMTP command for ``CurlEngine``, in libcurl's URL terms: `imaps://host/INBOX;UID=7`
/// fetches a message, `pop3s://host/3` retrieves one, a ``customRequest`` sends any other command.
/// Commands to the same server and user reuse one connection (one IMAP or POP3 session).
public struct MailRequest: Sendable {
    public var url: String
    public var user: String
    public var password: Secret
    /// A command other than the URL's default (`UID SEARCH UNSEEN`, `DELE`, `UIDL` ...).
    public var customRequest: String?
    /// The command answers with one line, not a body (POP3 `DELE`).
    public var noBody: Bool
    /// Plain `imap://`, `pop3://`, `smtp://` URLs upgrade with STARTTLS and fail if the server cannot.
    public var requireTLS: Bool
    /// PEM bundle trusted for the server's certificate; nil uses the system's store.
    public var caFile: String?
    /// Close the connection after this command (POP3 deletions take effect on QUIT).
    public var closeConnection: Bool
    /// Content to upload: a message to APPEND (IMAP) or to send (SMTP).
    public var upload: [UInt8]?
    /// SMTP envelope.
    public var mailFrom: String?
    public var recipients: [String]
    /// Limit on the whole transfer, in seconds; 0 for none (then ``responseTimeout`` and
    /// ``stallTimeout`` bound it).
    public var timeout: Double
    public var connectTimeout: Double
    /// Longest wait for any one server reply, in seconds (RFC 5321 allows 10 minutes for the reply to
    /// the final dot of DATA).
    public var responseTimeout: Double?
    /// An upload or download that moves no byte for this long fails, in seconds.
    public var stallTimeout: Double?
    /// Keeps this command on the connection of the session's first command (see ``ConnectionPin``).
    public var pin: ConnectionPin?

    public init(url: String, user: String, password: Secret, customRequest: String? = nil, noBody: Bool = false,
                requireTLS: Bool = true, caFile: String? = nil, closeConnection: Bool = false, upload: [UInt8]? = nil,
                mailFrom: String? = nil, recipients: [String] = [], timeout: Double = 120, connectTimeout: Double = 10,
                responseTimeout: Double? = nil, stallTimeout: Double? = nil, pin: ConnectionPin? = nil) {
        self.url = url
        self.user = user
        self.password = password
        self.customRequest = customRequest
        self.noBody = noBody
        self.requireTLS = requireTLS
        self.caFile = caFile
        self.closeConnection = closeConnection
        self.upload = upload
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.stallTimeout = stallTimeout
        self.pin = pin
    }
}

extension MailRequest: CurlRequest {
    var errorBodiesStayInMemory: Bool { false }
    /// An upload (SMTP DATA, IMAP APPEND) is carried out by the server once it has it all.
    var repeatable: Bool { upload == nil }

    func configure(_ handle: UnsafeMutableRawPointer, transfer: CurlTransfer) {
        mp_curl_setopt_string(handle, CURLOPT_USERNAME, user)
        mp_curl_setopt_string(handle, CURLOPT_PASSWORD, password.value)
        mp_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(requireTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_TRY.rawValue))
        if let caFile { mp_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        if let customRequest { mp_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, customRequest) }
        if noBody { mp_curl_setopt_long(handle, CURLOPT_NOBODY, 1) }
        if closeConnection { mp_curl_setopt_long(handle, CURLOPT_FORBID_REUSE, 1) }
        if let mailFrom { mp_curl_setopt_string(handle, CURLOPT_MAIL_FROM, mailFrom) }
        if !recipients.isEmpty {
            mp_curl_setopt_pointer(handle, CURLOPT_MAIL_RCPT, UnsafeMutableRawPointer(transfer.list(recipients)))
        }
        if let responseTimeout { mp_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, Int(responseTimeout.rounded(.up))) }
        if let stallTimeout {
            mp_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            mp_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, Int(stallTimeout.rounded(.up)))
        }
        if let upload {
            transfer.setUpload(upload)
        }
    }
}
