import CRabbitMQ

extension AMQPProperties {
    /// Copies properties received in a content header frame into Swift.
    init(_ p: amqp_basic_properties_t) {
        func has(_ flag: Int32) -> Bool { p._flags & amqp_flags_t(flag) != 0 }
        func string(_ flag: Int32, _ bytes: amqp_bytes_t) -> String? {
            has(flag) ? String(amqpBytes: bytes) : nil
        }
        self.init(
            contentType: string(AMQP_BASIC_CONTENT_TYPE_FLAG, p.content_type),
            contentEncoding: string(AMQP_BASIC_CONTENT_ENCODING_FLAG, p.content_encoding),
            headers: has(AMQP_BASIC_HEADERS_FLAG) ? AMQPTable(amqpTable: p.headers) : [:],
            persistent: has(AMQP_BASIC_DELIVERY_MODE_FLAG) && p.delivery_mode == 2,
            priority: has(AMQP_BASIC_PRIORITY_FLAG) ? p.priority : nil,
            correlationID: string(AMQP_BASIC_CORRELATION_ID_FLAG, p.correlation_id),
            replyTo: string(AMQP_BASIC_REPLY_TO_FLAG, p.reply_to),
            expiration: string(AMQP_BASIC_EXPIRATION_FLAG, p.expiration),
            messageID: string(AMQP_BASIC_MESSAGE_ID_FLAG, p.message_id),
            timestamp: has(AMQP_BASIC_TIMESTAMP_FLAG) ? p.timestamp : nil,
            type: string(AMQP_BASIC_TYPE_FLAG, p.type),
            userID: string(AMQP_BASIC_USER_ID_FLAG, p.user_id),
            appID: string(AMQP_BASIC_APP_ID_FLAG, p.app_id)
        )
    }

    /// Encodes the properties for `amqp_basic_publish`; strings live in `arena`.
    func encoded(in arena: CAllocationArena) -> amqp_basic_properties_t {
        var p = amqp_basic_properties_t()
        var flags: Int32 = AMQP_BASIC_DELIVERY_MODE_FLAG
        p.delivery_mode = persistent ? 2 : 1
        func set(_ value: String?, _ flag: Int32, _ field: inout amqp_bytes_t) {
            guard let value else { return }
            field = arena.bytes(value)
            flags |= flag
        }
        set(contentType, AMQP_BASIC_CONTENT_TYPE_FLAG, &p.content_type)
        set(contentEncoding, AMQP_BASIC_CONTENT_ENCODING_FLAG, &p.content_encoding)
        set(correlationID, AMQP_BASIC_CORRELATION_ID_FLAG, &p.correlation_id)
        set(replyTo, AMQP_BASIC_REPLY_TO_FLAG, &p.reply_to)
        set(expiration, AMQP_BASIC_EXPIRATION_FLAG, &p.expiration)
        set(messageID, AMQP_BASIC_MESSAGE_ID_FLAG, &p.message_id)
        set(type, AMQP_BASIC_TYPE_FLAG, &p.type)
        set(userID, AMQP_BASIC_USER_ID_FLAG, &p.user_id)
        set(appID, AMQP_BASIC_APP_ID_FLAG, &p.app_id)
        if !headers.isEmpty {
            p.headers = arena.table(headers)
            flags |= AMQP_BASIC_HEADERS_FLAG
        }
        if let priority {
            p.priority = priority
            flags |= AMQP_BASIC_PRIORITY_FLAG
        }
        if let timestamp {
            p.timestamp = timestamp
            flags |= AMQP_BASIC_TIMESTAMP_FLAG
        }
        p._flags = amqp_flags_t(flags)
        return p
    }
}
