import CRabbitMQ

extension AMQPValue {
    /// Copies a field value received from the broker into Swift.
    init(_ field: amqp_field_value_t) {
        switch UInt32(field.kind) {
        case AMQP_FIELD_KIND_BOOLEAN.rawValue: self = .bool(field.value.boolean != 0)
        case AMQP_FIELD_KIND_I8.rawValue: self = .int(Int64(field.value.i8))
        case AMQP_FIELD_KIND_U8.rawValue: self = .int(Int64(field.value.u8))
        case AMQP_FIELD_KIND_I16.rawValue: self = .int(Int64(field.value.i16))
        case AMQP_FIELD_KIND_U16.rawValue: self = .int(Int64(field.value.u16))
        case AMQP_FIELD_KIND_I32.rawValue: self = .int(Int64(field.value.i32))
        case AMQP_FIELD_KIND_U32.rawValue: self = .int(Int64(field.value.u32))
        case AMQP_FIELD_KIND_I64.rawValue: self = .int(field.value.i64)
        case AMQP_FIELD_KIND_U64.rawValue: self = .int(Int64(truncatingIfNeeded: field.value.u64))
        case AMQP_FIELD_KIND_F32.rawValue: self = .double(Double(field.value.f32))
        case AMQP_FIELD_KIND_F64.rawValue: self = .double(field.value.f64)
        case AMQP_FIELD_KIND_UTF8.rawValue: self = .string(String(amqpBytes: field.value.bytes))
        case AMQP_FIELD_KIND_BYTES.rawValue: self = .bytes([UInt8](amqpBytes: field.value.bytes))
        case AMQP_FIELD_KIND_TIMESTAMP.rawValue: self = .timestamp(field.value.u64)
        case AMQP_FIELD_KIND_TABLE.rawValue: self = .table(AMQPTable(amqpTable: field.value.table))
        case AMQP_FIELD_KIND_ARRAY.rawValue:
            let array = field.value.array
            self = .array((0..<Int(array.num_entries)).map { AMQPValue(array.entries[$0]) })
        default: self = .void
        }
    }
}

extension Dictionary where Key == String, Value == AMQPValue {
    /// Copies a field table received from the broker into Swift.
    init(amqpTable table: amqp_table_t) {
        self.init()
        for index in 0..<Int(table.num_entries) {
            let entry = table.entries[index]
            self[String(amqpBytes: entry.key)] = AMQPValue(entry.value)
        }
    }
}

extension String {
    init(amqpBytes bytes: amqp_bytes_t) {
        guard bytes.len > 0, let start = bytes.bytes else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: start, count: bytes.len), as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    init(amqpBytes bytes: amqp_bytes_t) {
        guard bytes.len > 0, let start = bytes.bytes else {
            self = []
            return
        }
        self = Array(UnsafeRawBufferPointer(start: start, count: bytes.len))
    }
}
