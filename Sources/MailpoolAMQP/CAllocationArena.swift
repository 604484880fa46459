import CRabbitMQ
#if canImport(Glibc)
import Glibc
#endif

/// Owns the C memory behind the `amqp_bytes_t` and `amqp_table_t` values built for one library call;
/// everything is freed together when the arena goes away. Used only on the connection's own thread.
final class CAllocationArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { free(block) }
    }

    /// Copies `bytes` into C memory.
    func bytes<C: Collection<UInt8>>(_ bytes: C) -> amqp_bytes_t {
        guard !bytes.isEmpty, let block = malloc(bytes.count) else { return amqp_empty_bytes }
        blocks.append(block)
        let buffer = UnsafeMutableRawBufferPointer(start: block, count: bytes.count)
        buffer.copyBytes(from: bytes)
        return amqp_bytes_t(len: bytes.count, bytes: block)
    }

    func bytes(_ string: String) -> amqp_bytes_t {
        bytes(string.utf8)
    }

    /// Encodes `table` as an `amqp_table_t` living as long as the arena.
    func table(_ table: AMQPTable) -> amqp_table_t {
        guard !table.isEmpty else { return amqp_empty_table }
        let entries = allocate(amqp_table_entry_t.self, count: table.count)
        for (index, (key, value)) in table.sorted(by: { $0.key < $1.key }).enumerated() {
            entries[index] = amqp_table_entry_t(key: bytes(key), value: field(value))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    private func field(_ value: AMQPValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .bool(let b):
            field.kind = kind(AMQP_FIELD_KIND_BOOLEAN)
            field.value.boolean = b ? 1 : 0
        case .int(let i):
            field.kind = kind(AMQP_FIELD_KIND_I64)
            field.value.i64 = i
        case .double(let d):
            field.kind = kind(AMQP_FIELD_KIND_F64)
            field.value.f64 = d
        case .string(let s):
            field.kind = kind(AMQP_FIELD_KIND_UTF8)
            field.value.bytes = bytes(s)
        case .bytes(let b):
            field.kind = kind(AMQP_FIELD_KIND_BYTES)
            field.value.bytes = bytes(b)
        case .timestamp(let t):
            field.kind = kind(AMQP_FIELD_KIND_TIMESTAMP)
            field.value.u64 = t
        case .table(let t):
            field.kind = kind(AMQP_FIELD_KIND_TABLE)
            field.value.table = table(t)
        case .array(let values):
            field.kind = kind(AMQP_FIELD_KIND_ARRAY)
            let entries = allocate(amqp_field_value_t.self, count: max(values.count, 1))
            for (index, element) in values.enumerated() { entries[index] = self.field(element) }
            field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: entries)
        case .void:
            field.kind = kind(AMQP_FIELD_KIND_VOID)
        }
        return field
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let block = malloc(MemoryLayout<T>.stride * count)!
        blocks.append(block)
        return block.bindMemory(to: T.self, capacity: count)
    }

    private func kind(_ k: amqp_field_value_kind_t) -> UInt8 { UInt8(k.rawValue) }
}
