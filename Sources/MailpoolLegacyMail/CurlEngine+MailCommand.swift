import MailpoolCurl

extension CurlEngine {
    /// Runs one IMAP, POP3 or SMTP command, mapping libcurl's failure to a ``LegacyMailError`` that names
    /// `command` (and never the password).
    func mailCommand(_ request: MailRequest, into sink: ResponseSink = .memory, command: String,
                     server: String) async throws(LegacyMailError) -> CurlResponse {
        do {
            return try await perform(request, into: sink)
        } catch let error as CurlError {
            throw LegacyMailError(error, command: command, upload: request.upload != nil)
        } catch {
            throw .connection(server: server, detail: "\(error)")
        }
    }
}
