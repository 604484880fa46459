import FoundationEssentials
import MailpoolAccounts
import MailpoolGraph
import MailpoolPipeline

/// Sends through Graph as a draft carrying the notification's ID (a named extended property, and an
/// `x-mailpool-notification-id` header), then `send`: two requests when all goes well.
///
/// The draft is what makes an unknown outcome resolvable. After a retry or a redelivery the sender
/// first lists the mailbox's messages with the ID (one request):
/// - one that is no longer a draft was sent: nothing more is sent (leftover drafts are deleted);
/// - drafts only, the newest one not withdrawn younger than the settle time (``Options/sendWindow``,
///   the request timeout and ``Options/filingAllowance``): a send of it may still take effect (or
///   be filed in Sent Items late), so the decision waits (``OutcomePending``);
/// - drafts only, all withdrawn or older than that: none was sent. A withdrawn draft's creator found
///   its send refused or never let it leave (its delivery taken back, its window passed). Every other
///   send of a draft goes out within ``Options/sendWindow`` of its creation and ends within the
///   request timeout. They are deleted and the notification is sent as a new draft, whose age the next
///   check measures afresh;
/// - nothing: it is sent.
///
/// Two copies of one notification can be resumed at once in two processes (a producer that published
/// its id twice, a move to the retry ladder published again after a lost confirm). So a resuming copy
/// waits up to a second at random, creates its draft, lists again, and sends only if no sent copy and
/// no other draft created at the same time or earlier is there (Graph's `createdDateTime` has whole
/// seconds, so a tie cannot be broken). A copy that sees a contender deletes its draft and waits for
/// the outcome; two that see each other both wait, and the random pause makes a second meeting unlikely.
public struct GraphNotificationSender: NotificationSender {
    public struct Options: Sendable {
        /// Longest time from creating a draft to its `send` leaving; after that it is not sent.
        public var sendWindow: Double
        /// How long after a `send` ended Graph may still carry it out or file it in Sent Items.
        public var filingAllowance: Double

        public init(sendWindow: Double = 60, filingAllowance: Double = 60) {
            self.sendWindow = sendWindow
            self.filingAllowance = filingAllowance
        }
    }

    let clients: GraphClients
    let options: Options

    /// Exchange's 4 concurrent requests and 10,000 requests per 10 minutes per mailbox apply to the pool.
    public func shareLimits(among processes: Int) async {
        await clients.context.shareLimits(among: processes)
    }

    public init(clients: GraphClients, options: Options = Options()) {
        self.clients = clients
        self.options = options
    }

    /// Age after which a draft still a draft was certainly not sent: the send window, the request
    /// timeout, and the filing allowance.
    var settle: Double { options.sendWindow + clients.context.requestTimeout + options.filingAllowance }

    public func send(_ notification: ValidatedNotification, resuming: Bool, stillHeld: @escaping @Sendable () -> Bool) async throws -> SendOutcome {
        guard case .graph(let settings) = notification.outbound.server else { preconditionFailure("not a GRAPH outbound configuration") }
        let client = clients.client(for: settings)
        let mailbox = notification.outbound.mailbox
        let key = notification.request.id
        if resuming {
            let (found, now) = try await client.messages(withIdempotencyKey: key, mailbox: mailbox)
            if found.contains(where: { !$0.isDraft }) {
                for draft in found where draft.isDraft { try await client.deleteMessage(mailbox: mailbox, id: draft.id) }
                return .alreadySent
            }
            if let newest = found.filter({ !$0.isWithdrawn }).map(\.created).max() {
                let age = now.timeIntervalSince(newest)
                guard age >= settle else { throw pending(age: age) }
            }
            if !found.isEmpty {
                guard stillHeld() else { throw DeliveryReleased() }
                for draft in found { try await client.deleteMessage(mailbox: mailbox, id: draft.id) }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<1000)))  // see "Two copies" above
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(options.sendWindow * 1000))
        // Both checked at the last moment before the request leaves, after any wait for the mailbox.
        let id = try await client.createDraft(from: mailbox, Self.mail(notification), onlyIf: stillHeld)
        if resuming {
            let (found, now) = try await client.messages(withIdempotencyKey: key, mailbox: mailbox)
            let contenders = found.filter { $0.id != id && !$0.isWithdrawn }
            // Its own draft missing from the list is no answer either: step aside then too.
            guard let created = found.first(where: { $0.id == id })?.created,
                  !contenders.contains(where: { !$0.isDraft || $0.created <= created }) else {
                // Another copy may be sending (or has sent): it decides; this one steps aside.
                try await client.deleteMessage(mailbox: mailbox, id: id)
                throw pending(age: contenders.map { now.timeIntervalSince($0.created) }.min() ?? 0)
            }
        }
        do {
            try await client.sendDraft(mailbox: mailbox, id: id, onlyIf: { stillHeld() && ContinuousClock.now < deadline })
        } catch {
            // Never sent, and never will be by this attempt: withdrawn, so that a copy finding it need not
            // wait for it to settle. If withdrawing fails the draft is left to settle as before.
            if error.certainlyNotCarriedOut { try? await client.withdrawDraft(mailbox: mailbox, id: id) }
            throw error
        }
        return .sent
    }

    /// A live draft `age` seconds old may still be sent: ask again when it is twice as old (a creator that
    /// gives its draft up withdraws it within seconds), and at the latest when it has settled. The retry
    /// ladder rounds the wait up to one of its steps, so a draft costs a few lookups at most.
    func pending(age: Double) -> OutcomePending {
        OutcomePending(retryAfter: max(0, min(settle - age, age)))
    }

    static func mail(_ notification: ValidatedNotification) -> OutgoingMail {
        let request = notification.request
        func addresses(_ list: [NotificationRequest.Address]?) -> [MailAddress] {
            (list ?? []).map { MailAddress($0.address, name: $0.name) }
        }
        return OutgoingMail(
            subject: request.subject, body: request.html ?? request.text ?? "", bodyType: request.html != nil ? .html : .text,
            to: addresses(request.to), cc: addresses(request.cc), bcc: addresses(request.bcc), replyTo: addresses(request.replyTo),
            importance: OutgoingMail.Importance(rawValue: request.importance ?? "normal") ?? .normal,
            attachments: notification.attachments.map { MailAttachment(name: $0.name, contentType: $0.contentType, content: $0.content) },
            headers: [("x-mailpool-notification-id", request.id)], idempotencyKey: request.id)
    }
}
