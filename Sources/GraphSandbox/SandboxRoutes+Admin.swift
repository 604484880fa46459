import Foundation
import HTTPTypes
import Hummingbird
import MailpoolCore

/// `/_sandbox/...`: seeding mail, reading back what was sent and the counters, faults and limits.
extension SandboxRoutes {
    func registerAdmin(on router: Router<SandboxContext>) {
        router.post("/_sandbox/mailboxes/:address/messages") { request, context -> Response in
            do throws(GraphFailure) {
                let body = try await Self.body(request, limit: 200 * 1024 * 1024)
                let seed = try Self.decode(SeedMessage.self, from: body)
                let message = try await state.deliver(seed, to: Self.address(context))
                return GraphJSON.response(["id": message.immutableID, "restId": message.restID,
                                           "internetMessageId": message.internetMessageID,
                                           "size": message.mime.readableBytes, "sha256": message.mime.sha256Hex], status: .created)
            } catch {
                return error.response
            }
        }

        router.get("/_sandbox/mailboxes/:address") { _, context -> Response in
            let key = Self.address(context)
            var folders: [String: Any] = [:]
            for folder in WellKnownFolder.names.keys {
                if let counts = try? await state.folderCounts(mailbox: key, folder: folder), counts.total > 0 {
                    folders[folder] = ["total": counts.total, "unread": counts.unread]
                }
            }
            guard await state.mailboxes[key] != nil else { return GraphFailure.invalidUser(key).response }
            return GraphJSON.response(["address": key, "folders": folders, "sent": await state.sent(mailbox: key).count])
        }

        router.get("/_sandbox/mailboxes/:address/sent") { _, context -> Response in
            Self.encoded(await state.sent(mailbox: Self.address(context)))
        }

        router.get("/_sandbox/stats") { _, _ -> Response in Self.encoded(await state.statistics()) }
        // As mailpool's processes answer it, so that `mailpool health --port` checks the sandbox too.
        router.get("/health/ready") { _, _ -> Response in Response(status: .ok) }

        router.delete("/_sandbox/tokens") { _, _ -> Response in
            await state.revokeTokens()
            return Response(status: .noContent)
        }

        router.delete("/_sandbox/stats") { _, _ -> Response in
            await state.resetStatistics()
            return Response(status: .noContent)
        }

        router.put("/_sandbox/faults") { request, _ -> Response in
            do throws(GraphFailure) {
                await state.setFaults(try Self.decode(SandboxFaults.self, from: try await Self.body(request, limit: 1 << 16)))
                return Response(status: .noContent)
            } catch {
                return error.response
            }
        }

        router.put("/_sandbox/limits") { request, _ -> Response in
            do throws(GraphFailure) {
                await state.setLimits(try Self.decode(SandboxLimits.self, from: try await Self.body(request, limit: 1 << 16)))
                return Response(status: .noContent)
            } catch {
                return error.response
            }
        }
    }

    static func address(_ context: SandboxContext) -> String {
        (context.parameters.get("address").map { $0.percentDecoded ?? $0 } ?? "").lowercased()
    }

    static func encoded<T: Encodable>(_ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
