#!/usr/bin/env bash
# Quick start on a fresh Debian machine, against the bundled Graph sandbox:
#   1. installs what is missing and starts RabbitMQ on loopback;
#   2. builds mailpool and round-trips messages through the broker;
#   3. starts the Graph sandbox, tests the account's inbound and outbound sides;
#   4. seeds three supplier emails, runs the poller and a fetch worker until the mailbox is empty,
#      and shows the stored messages and the InboundMail events waiting downstream;
#   5. enqueues a notification with `mailpool notify`, runs a notification worker until the sandbox
#      has accepted it, and shows what was sent;
#   6. shows the pool with `mailpool status`.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
deploy/local/install-packages.sh --if-missing
deploy/local/start-rabbitmq.sh
swift build -c release --product mailpool
swift build -c release --product mailpool-sandbox
mailpool=.build/release/mailpool
$mailpool broker-check --count 1000

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
sandbox=http://127.0.0.1:8765
mailbox=coa-inbox@contoso.example
.build/release/mailpool-sandbox --seed deploy/sandbox/seed.json --port 8765 >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -sf "$sandbox/_sandbox/stats" >/dev/null && break; sleep 0.2; done

export MAILPOOL_ACCOUNTS=deploy/local/quickstart-accounts.json
export QUICKSTART_GRAPH_SECRET=$(cat deploy/compose/secrets/graph-client-secret)   # the sandbox seed's secret, not a real one
$mailpool accounts list
$mailpool accounts test "Quick start" --inbound
$mailpool accounts test "Quick start" --outbound

for lot in 4711 4712 4713; do
  curl -sf -X POST "$sandbox/_sandbox/mailboxes/$mailbox/messages" -H 'Content-Type: application/json' \
    -d "{\"subject\":\"Certificate of analysis, lot $lot\",\"from\":{\"address\":\"lab@supplier.example\"},\"to\":[\"$mailbox\"],\"body\":\"COA attached\",\"attachments\":[{\"name\":\"coa-$lot.pdf\",\"contentType\":\"application/pdf\",\"contentBase64\":\"JVBERi0xLjcK\"}]}" >/dev/null
done
rabbitmqctl -n rabbit@localhost purge_queue mailpool.inbound.events >/dev/null 2>&1 || true

$mailpool poller >"$work/poller.log" 2>&1 &
pids+=($!)
$mailpool fetch-worker --default-events-queue --store "$work/store" >"$work/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "$sandbox/_sandbox/mailboxes/$mailbox" | grep -q '"inbox"' || break
  sleep 0.3
done
echo "mailbox after the fetch: $(curl -sf "$sandbox/_sandbox/mailboxes/$mailbox")"
echo "stored MIME in $work/store:"
find "$work/store" -name '*.eml' -printf '  %P (%s bytes)\n'
api=http://guest:guest@127.0.0.1:15672/api/queues/%2f/mailpool.inbound.events
echo "InboundMail events waiting in mailpool.inbound.events: $(curl -sf "$api" | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages"])')"
echo "the first one:"
curl -sf -X POST "$api/get" -H 'Content-Type: application/json' \
  -d '{"count":1,"ackmode":"reject_requeue_true","encoding":"auto"}' \
  | python3 -c 'import json,sys; print(json.dumps(json.loads(json.load(sys.stdin)[0]["payload"]), indent=2))'
$mailpool notify --id quickstart-car-1042 --to buyer@customer.example --subject "Corrective action request CAR-1042" \
  --text "Please respond within 10 days." --correlation car=CAR-1042
$mailpool notification-worker --dedupe "$work/dedupe" >"$work/notifications.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "$sandbox/_sandbox/mailboxes/$mailbox/sent" | grep -q quickstart-car-1042 && break
  sleep 0.3
done
echo "sent by the notification worker:"
curl -sf "$sandbox/_sandbox/mailboxes/$mailbox/sent" | python3 -c '
import json, sys
for record in json.load(sys.stdin):
    if record["internetMessageHeaders"].get("x-mailpool-notification-id") == "quickstart-car-1042":
        print(json.dumps({k: record[k] for k in ("subject", "from", "toRecipients", "body", "internetMessageHeaders")}, indent=2))'
# The management API refreshes its figures every 5 s, and workers publish their activity every 10 s.
sleep 11
echo "the pool as an operator sees it (mailpool status):"
$mailpool status
echo "quick start OK"
