import CMailpoolShims
import CRabbitMQ
#if canImport(Glibc)
import Glibc
#endif

/// One live rabbitmq-c connection. Not thread-safe: it is created, used and destroyed on the owner
/// thread of an ``AMQPConnection`` only. Methods throw ``AMQPError/connectionLost(_:)`` when the
/// connection is unusable afterwards; any other error leaves the connection (and channel) usable.
final class RabbitSession {
    let state: amqp_connection_state_t
    let url: AMQPURL
    private let rpcTimeout: timeval

    /// Connects, logs in and opens the virtual host.
    init(url: AMQPURL, options: AMQPConnectionOptions) throws(AMQPError) {
        guard let state = amqp_new_connection() else { throw .protocolError("amqp_new_connection failed") }
        self.state = state
        self.url = url
        self.rpcTimeout = timeval(seconds: options.rpcTimeout)
        // A throwing init of a fully initialised class still runs deinit, which destroys `state`.
        try open(options: options)
    }

    deinit {
        amqp_destroy_connection(state)
    }

    /// The socket, for `poll`.
    var socketDescriptor: Int32 { amqp_get_sockfd(state) }

    /// Holds small writes back (`TCP_CORK`) while `hold` is true; releasing sends what was held at once.
    /// Frames written together, a round's acks or a batch of publishes, then leave in as few TCP
    /// segments as they fit in rather than one each, and the broker reads them with one wake-up.
    func holdWrites(_ hold: Bool) {
        var value: Int32 = hold ? 1 : 0
        setsockopt(socketDescriptor, Int32(IPPROTO_TCP), TCP_CORK, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    private func open(options: AMQPConnectionOptions) throws(AMQPError) {
        let socket = try makeSocket(tls: options.tls)
        var connectTimeout = timeval(seconds: options.connectTimeout)
        let status = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &connectTimeout)
        guard status == AMQP_STATUS_OK.rawValue else { throw openError(status) }
        var handshakeTimeout = connectTimeout
        _ = amqp_set_handshake_timeout(state, &handshakeTimeout)
        var rpcTimeout = self.rpcTimeout
        _ = amqp_set_rpc_timeout(state, &rpcTimeout)

        let arena = CAllocationArena()
        var properties = arena.table([
            "connection_name": .string(options.connectionName),
            "product": "mailpool",
            "capabilities": .table(["consumer_cancel_notify": true, "publisher_confirms": true]),
        ])
        let reply = mp_amqp_login_plain(state, url.vhost, 0, 131_072, Int32(options.heartbeat),
                                        &properties, url.user, url.password)
        if reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION, reply.reply.id == MP_CONNECTION_CLOSE {
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            let text = String(amqpBytes: close.reply_text)
            switch close.reply_code {
            case 403: throw .accessRefused(endpoint: url.endpoint, replyText: text)
            case 530: throw .vhostNotFound(endpoint: url.endpoint, replyText: text)
            default: throw .connectionRefused(endpoint: url.endpoint, detail: "\(close.reply_code) \(text)")
            }
        }
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            throw .connectionRefused(endpoint: url.endpoint, detail: "login failed: \(Self.describe(reply))")
        }
    }

    private func makeSocket(tls: AMQPTLSOptions) throws(AMQPError) -> OpaquePointer {
        guard url.tls else {
            guard let socket = amqp_tcp_socket_new(state) else { throw .protocolError("amqp_tcp_socket_new failed") }
            return socket
        }
        guard let socket = amqp_ssl_socket_new(state) else {
            throw .tls(endpoint: url.endpoint, detail: "cannot create a TLS socket")
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        if let caFile = tls.caFile, amqp_ssl_socket_set_cacert(socket, caFile) != AMQP_STATUS_OK.rawValue {
            throw .tls(endpoint: url.endpoint, detail: "cannot read CA file \(caFile)")
        }
        if let cert = tls.certificateFile, let key = tls.keyFile,
           amqp_ssl_socket_set_key(socket, cert, key) != AMQP_STATUS_OK.rawValue {
            throw .tls(endpoint: url.endpoint, detail: "cannot read client certificate \(cert) or key \(key)")
        }
        return socket
    }

    private func openError(_ status: Int32) -> AMQPError {
        let detail = String(cString: amqp_error_string2(status))
        switch status {
        case AMQP_STATUS_SSL_ERROR.rawValue, AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue,
             AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue, AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue:
            return .tls(endpoint: url.endpoint, detail: detail)
        default:
            return .connectionRefused(endpoint: url.endpoint, detail: detail)
        }
    }

    // MARK: Channels

    func openChannel(_ channel: UInt16) throws(AMQPError) {
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), channel: channel)
    }

    /// Puts `channel` in confirm mode.
    func selectConfirms(_ channel: UInt16) throws(AMQPError) {
        amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), channel: channel)
    }

    /// Answers a channel.close the broker sent, then opens the channel again.
    func acknowledgeChannelClose(_ channel: UInt16) throws(AMQPError) {
        var closeOK = amqp_channel_close_ok_t(dummy: 0)
        try checkStatus(amqp_send_method(state, channel, MP_CHANNEL_CLOSE_OK, &closeOK))
        try openChannel(channel)
    }

    /// Answers a connection.close the broker sent; the session is finished afterwards.
    func acknowledgeConnectionClose() {
        var closeOK = amqp_connection_close_ok_t(dummy: 0)
        _ = amqp_send_method(state, 0, MP_CONNECTION_CLOSE_OK, &closeOK)
    }

    /// Closes the connection politely (reply code 200).
    func close() {
        _ = amqp_connection_close(state, 200)
    }

    // MARK: Frames

    /// The next frame if one is ready now, nil otherwise. Also sends heartbeats that are due and
    /// notices missed ones (``AMQPError/connectionLost(_:)``). The timeout is one microsecond, not zero:
    /// rabbitmq-c treats a zero timeout as "immediately", which always comes before the heartbeat
    /// deadline, so it would never report a heartbeat timeout.
    func nextFrame() throws(AMQPError) -> amqp_frame_t? {
        var frame = amqp_frame_t()
        var immediately = timeval(tv_sec: 0, tv_usec: 1)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &immediately)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        try checkStatus(status)
        return frame
    }

    /// Frees the memory of frames already copied out, when no queued frame still refers to it.
    func releaseBuffers() {
        amqp_maybe_release_buffers(state)
    }

    // MARK: Errors

    /// Maps a library status to an error; non-zero statuses mean the connection is unusable.
    func checkStatus(_ status: Int32) throws(AMQPError) {
        guard status < 0 else { return }
        throw .connectionLost(String(cString: amqp_error_string2(status)))
    }

    /// Maps an RPC reply. A channel exception is answered and the channel reopened before throwing,
    /// so the channel stays usable; a connection exception or library error throws `connectionLost`.
    func check(_ reply: amqp_rpc_reply_t, channel: UInt16) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == MP_CHANNEL_CLOSE:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            let error = AMQPError(channelClose: close.reply_code, text: String(amqpBytes: close.reply_text))
            try acknowledgeChannelClose(channel)
            throw error
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == MP_CONNECTION_CLOSE:
            acknowledgeConnectionClose()
            throw .connectionLost("closed by the broker: \(Self.describe(reply))")
        default:
            throw .connectionLost(Self.describe(reply))
        }
    }

    static func describe(_ reply: amqp_rpc_reply_t) -> String {
        switch reply.reply_type {
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return String(cString: amqp_error_string2(reply.library_error))
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == MP_CONNECTION_CLOSE:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            return "\(close.reply_code) \(String(amqpBytes: close.reply_text))"
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == MP_CHANNEL_CLOSE:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            return "\(close.reply_code) \(String(amqpBytes: close.reply_text))"
        case AMQP_RESPONSE_NONE:
            return "no reply"
        default:
            return "unexpected reply"
        }
    }
}

extension AMQPError {
    /// The error for a channel.close the broker sent.
    init(channelClose code: UInt16, text: String) {
        switch code {
        case 404: self = .notFound(replyText: text)
        case 405: self = .resourceLocked(replyText: text)
        case 406: self = .preconditionFailed(replyText: text)
        default: self = .channelClosed(code: code, replyText: text)
        }
    }
}

extension timeval {
    init(seconds: Double) {
        let whole = seconds.rounded(.down)
        self.init(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
    }
}
