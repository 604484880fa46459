import Logging
/// Running submitted commands on the owner thread.
extension ConnectionLoop {
    /// Runs `commands` in order. When the connection is lost part way, the commands not yet run wait
    /// for the next connection, and the error is rethrown to start recovery.
    ///
    /// While a message is arriving, a command that waits for the broker's reply waits (with those after
    /// it, to keep their order) until the message is whole: the reply comes after the rest of the
    /// message on the socket, and rabbitmq-c would hold all of it in memory meanwhile (a 30 MB
    /// notification the consumer drops unread took a worker to 72 MB). The frames already received
    /// are read first, so that a message whose first frames are there counts as arriving.
    func execute(_ commands: [ConnectionCommand]) throws(AMQPError) {
        // Commands that wait for no reply are written together: nothing is held back while a command
        // waits for the broker's answer to it.
        let together = !commands.contains { $0.waitsForReply } && (commands.count > 1 || commands.contains(where: \.isBatch))
        if together { session?.holdWrites(true) }
        defer { if together { session?.holdWrites(false) } }
        for (index, command) in commands.enumerated() {
            if command.waitsForReply {
                if let session {
                    do throws(AMQPError) {
                        _ = try readFrames(session, limit: 1024)
                    } catch {
                        deferred.append(contentsOf: commands[index...])
                        throw error
                    }
                }
                if assembler.isAssembling {
                    deferred.append(contentsOf: commands[index...])
                    return
                }
            }
            do throws(AMQPError) {
                try execute(command)
            } catch {
                deferred.append(contentsOf: commands[(index + 1)...])
                throw error
            }
        }
    }

    private func execute(_ command: ConnectionCommand) throws(AMQPError) {
        guard let session else {
            holdWhileDisconnected([command])
            return
        }
        switch command {
        case .publish(let message, let continuation):
            // Registered first: if sending fails, recovery fails it with the other unconfirmed ones.
            confirms.register(.single(continuation))
            try session.publish(message, on: Self.publishChannel)
        case .publishBatch(let messages, let continuation):
            let batch = BatchConfirm(count: messages.count, continuation: continuation)
            for message in messages {
                confirms.register(.batch(batch))
                try session.publish(message, on: Self.publishChannel)
            }
        case .settle(let receipt, let settlement):
            // A tag from a channel since closed would make the broker close this one; the message
            // was requeued when the old channel went away.
            guard channelGeneration.current(receipt.channel) == receipt.generation else { return }
            try session.settle(settlement, deliveryTag: receipt.deliveryTag, on: receipt.channel)
        case .declare(let declared, let continuation):
            try rpc(command, continuation) { () throws(AMQPError) in
                try session.declare(declared, on: Self.controlChannel)
                topology = topology.merging(declared)
            }
        case .inspectQueue(let name, let continuation):
            try rpc(command, continuation) { () throws(AMQPError) in
                try session.inspectQueue(name, on: Self.controlChannel)
            }
        case .deleteQueue(let name, let continuation):
            try rpc(command, continuation) { () throws(AMQPError) in
                try session.deleteQueue(name, on: Self.controlChannel)
                topology.queues.removeAll { $0.name == name }
                topology.bindings.removeAll { $0.queue == name }
            }
        case .deleteExchange(let name, let continuation):
            try rpc(command, continuation) { () throws(AMQPError) in
                try session.deleteExchange(name, on: Self.controlChannel)
                topology.exchanges.removeAll { $0.name == name }
                topology.bindings.removeAll { $0.exchange == name }
            }
        case .purgeQueue(let name, let continuation):
            try rpc(command, continuation) { () throws(AMQPError) in
                try session.purgeQueue(name, on: Self.controlChannel)
            }
        case .declareTransient(let queue, let continuation):
            // Run again on the next connection when this one drops during the call, so the number
            // tells the caller where it was declared.
            try rpc(command, continuation) { () throws(AMQPError) -> Int in
                try session.declare(Topology(queues: [queue]), on: Self.controlChannel)
                return statistics.connectionCount
            }
        case .consume(let registration, let continuation):
            try rpc(command, continuation) { () throws(AMQPError) in
                register(registration)
                do throws(AMQPError) {
                    try startConsuming(registration)
                } catch .connectionLost(let reason) {
                    throw .connectionLost(reason)
                } catch {
                    consumers[registration.tag] = nil
                    throw error
                }
            }
        case .cancelConsumer(let tag):
            try cancelConsumer(tag)
        case .close(let continuation):
            closeRequests.append(continuation)
        }
    }

    /// Resolves a synchronous call's continuation, except when the connection drops during the call:
    /// then the command waits and runs again on the next connection.
    private func rpc<T>(_ command: ConnectionCommand, _ continuation: CheckedContinuation<T, any Error>,
                        _ body: () throws(AMQPError) -> T) throws(AMQPError) {
        do throws(AMQPError) {
            continuation.resume(returning: try body())
        } catch .connectionLost(let reason) {
            deferred.append(command)
            throw .connectionLost(reason)
        } catch {
            continuation.resume(throwing: error)
        }
    }

    /// What commands do while there is no connection: settlements are dropped (the broker requeues
    /// those deliveries), cancellations and close take effect, everything else waits.
    func holdWhileDisconnected(_ commands: [ConnectionCommand]) {
        for command in commands {
            switch command {
            case .settle:
                break
            case .cancelConsumer(let tag):
                try? cancelConsumer(tag)
            case .close(let continuation):
                closeRequests.append(continuation)
            case .consume(let registration, let continuation):
                // Starts with the other consumers once the connection is back.
                register(registration)
                continuation.resume()
            default:
                deferred.append(command)
            }
        }
    }

    /// Remembers a new consumer, after those registered before it.
    private func register(_ registration: ConsumerRegistration) {
        registration.order = registeredConsumers
        registeredConsumers += 1
        consumers[registration.tag] = registration
    }

    /// Opens a fresh channel for `registration` and starts consuming on it.
    func startConsuming(_ registration: ConsumerRegistration) throws(AMQPError) {
        guard let session else { return }
        let channel = registration.channel != 0 ? registration.channel : freeConsumerChannel()
        if registration.channel == 0 {
            try session.openChannel(channel)
        }
        registration.channel = channel
        consumerOnChannel[channel] = registration
        channelGeneration.set(channel, nextGeneration)
        nextGeneration += 1
        try session.consume(queue: registration.queue, tag: registration.tag, prefetch: registration.prefetch, on: channel)
    }

    private func freeConsumerChannel() -> UInt16 {
        var channel = Self.publishChannel + 1
        while consumerOnChannel[channel] != nil { channel += 1 }
        return channel
    }

    /// Stops a consumer. Its channel stays open so that deliveries already handed out can be settled.
    private func cancelConsumer(_ tag: String) throws(AMQPError) {
        guard let registration = consumers.removeValue(forKey: tag) else { return }
        registration.cancelled = true
        registration.continuation.finish()
        guard let session, registration.channel != 0 else { return }
        do throws(AMQPError) {
            try session.cancel(consumerTag: tag, on: registration.channel)
        } catch .connectionLost(let reason) {
            throw .connectionLost(reason)
        } catch {
            logger.debug("basic.cancel failed", metadata: ["error": "\(error)"])
        }
    }
}
