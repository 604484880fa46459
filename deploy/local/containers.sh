#!/usr/bin/env bash
# The pool in containers, for real (podman, the image of deploy/local/build-image.sh): the Graph
# sandbox, 2 pollers, FETCH_WORKERS fetch workers and NOTIFICATION_WORKERS notification workers against
# the RabbitMQ on loopback, every one non-root on a read-only root file system, with the inbound store
# and the dedupe record on volumes and the broker's password a podman secret. The sandbox answers as
# Graph does at its worst (answers lost and 504s after the work, 503s, dropped connections, Sent Items
# filed late). While mail flows it
# scales up (a worker of each kind more), down (`podman stop`, which must drain: exit 0 within the
# grace period) and kills one of each with `podman kill` (SIGKILL); then it checks that every message
# was ingested once and every notification sent once. Prints the image's size, each worker's peak RSS
# inside its container, and how long each `podman stop` took.
#
#   deploy/local/containers.sh                 # 2,000 messages and 2,000 notifications
#   MAILPOOL_CONFIGURATION=debug MESSAGES=200 NOTIFICATIONS=200 deploy/local/containers.sh
#                                              # the test command's short run, on the debug build
#                                              # (build-image.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
messages_total=${MESSAGES:-2000}
notifications=${NOTIFICATIONS:-2000}
fetch_workers=${FETCH_WORKERS:-2}
notification_workers=${NOTIFICATION_WORKERS:-2}
mailbox_count=4
messages=$((messages_total / mailbox_count))   # per mailbox

deploy/local/start-rabbitmq.sh >/dev/null
build_log=$(mktemp)
deploy/local/build-image.sh >"$build_log" 2>&1 || { tail -30 "$build_log"; exit 1; }
grep '^localhost/' "$build_log"
rm -f "$build_log"

work=""
vhost=mailpool-containers
port=18765
sandbox=http://127.0.0.1:$port
amqp=amqp://guest:guest@127.0.0.1:5672/$vhost
prefix=containers-$(date +%s)
sender=notifications@contoso.example
mailboxes=$(seq -s, -f "box%g@contoso.example" 0 $((mailbox_count - 1)))
containers=()
logs=${LOG_DIR:-/tmp/mailpool-containers-logs}   # each container's log, kept after the run
cleanup() {
  rm -rf "$logs" && mkdir -p "$logs"
  for name in "${containers[@]}"; do podman logs "$name" >"$logs/$name.log" 2>&1 || true; done
  podman rm -f "${containers[@]}" >/dev/null 2>&1 || true
  podman volume rm -f mailpool-store mailpool-dedupe >/dev/null 2>&1 || true
  podman secret rm mailpool-amqp-password mailpool-graph-secret >/dev/null 2>&1 || true
  rabbitmqctl -n rabbit@localhost delete_vhost "$vhost" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup
work=$(mktemp -d)
rabbitmqctl -n rabbit@localhost add_vhost "$vhost" >/dev/null
rabbitmqctl -n rabbit@localhost set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null

# The sandbox's tenant with the four inbound mailboxes and the sender, and the accounts that use them.
python3 deploy/local/poolcheck.py configure "$work" "$sandbox" --mailboxes "$mailboxes" --sender "$sender" \
  --secret '{"file": "/run/secrets/graph-client-secret"}'
chmod 644 "$work/seed.json" "$work/accounts.json"
printf guest | podman secret create mailpool-amqp-password - >/dev/null
podman secret create mailpool-graph-secret deploy/compose/secrets/graph-client-secret >/dev/null   # the sandbox's, not a real one
podman volume create mailpool-store >/dev/null
podman volume create mailpool-dedupe >/dev/null

next_port=19100
source deploy/local/container-run.sh   # container=(podman run … as every container here runs)
# run NAME ARGS…: a mailpool container as the image defines it (user 65532, health check).
run() {
  local name=$1; shift
  "${container[@]}" --name "$name" --stop-timeout 60 \
    --mount type=tmpfs,destination=/run/secrets --secret mailpool-amqp-password --secret mailpool-graph-secret,target=graph-client-secret \
    -v "$work/accounts.json:/etc/mailpool/accounts.json:ro" \
    -v mailpool-store:/var/lib/mailpool/inbound -v mailpool-dedupe:/var/lib/mailpool/dedupe \
    -e MAILPOOL_AMQP_URL="amqp://guest@127.0.0.1:5672/$vhost" -e MAILPOOL_AMQP_PASSWORD_FILE=/run/secrets/mailpool-amqp-password \
    -e MAILPOOL_ACCOUNTS=/etc/mailpool/accounts.json -e MAILPOOL_METRICS_PORT=$next_port -e MAILPOOL_LOG_FORMAT=json \
    localhost/mailpool:local "$@" >/dev/null
  containers+=("$name")
  next_port=$((next_port + 1))
}
fetch() { run "$1" fetch-worker --default-events-queue --store /var/lib/mailpool/inbound; }
# Without the 30-a-minute pacing per sender (the sandbox does not enforce Exchange's limits here), so
# that thousands of notifications take minutes, not hours. A send cut off by `podman kill` is resolved
# once its draft is older than the send window, the request timeout and the filing allowance: 4
# minutes with the defaults (Graph's own delays), 45 s here, still well past the sandbox's 5 s filing;
# and the retry ladder starts at 5 s instead of 10 and ends at 405 s instead of 2 hours.
notify() {
  run "$1" notification-worker --dedupe /var/lib/mailpool/dedupe --per-minute 0 \
    --send-window 15 --request-timeout 15 --filing-allowance 15 --retry-ladder 5,15,45,135,405
}

"${container[@]}" --name mailpool-sandbox --user 65532:65532 -v "$work/seed.json:/etc/mailpool/seed.json:ro" \
  --entrypoint /usr/local/bin/mailpool-sandbox localhost/mailpool:local --seed /etc/mailpool/seed.json --port $port >/dev/null
containers+=(mailpool-sandbox)
for _ in $(seq 1 100); do curl -sf "$sandbox/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$sandbox/health/ready" >/dev/null || { echo "the sandbox did not start"; podman logs mailpool-sandbox; exit 1; }
# As Graph is on a bad day: Sent Items filed 5 s after a send is accepted, 1 % of answers lost after
# the work was done, 1 % 504s after the work, 1 % 503s, 0.5 % connections dropped. (A batch in which
# a move fails rests its mailbox 30 s, so ingest time grows quickly with these rates.)
curl -sf -X PUT "$sandbox/_sandbox/faults" -H 'Content-Type: application/json' -d '{"sentItemsDelaySeconds": 5,
  "lostResponseRate": 0.01, "gatewayTimeoutRate": 0.01, "serviceUnavailableRate": 0.01, "dropRate": 0.005}'

run mailpool-poller-1 poller
run mailpool-poller-2 poller
for i in $(seq 1 "$fetch_workers"); do fetch "mailpool-fetch-$i"; done
for i in $(seq 1 "$notification_workers"); do notify "mailpool-notify-$i"; done
for name in "${containers[@]}"; do
  [ "$name" = mailpool-sandbox ] && continue
  for _ in $(seq 1 120); do podman healthcheck run "$name" >/dev/null 2>&1 && break; sleep 0.5; done
  podman healthcheck run "$name" >/dev/null || { echo "$name never became healthy"; podman logs --tail 20 "$name"; exit 1; }
done
user=$(podman top mailpool-fetch-1 user | tail -1)
echo "containers up: 2 pollers, $fetch_workers fetch and $notification_workers notification workers (healthy, user $user, read-only root: $(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' mailpool-fetch-1))"

check=(python3 deploy/local/poolcheck.py)
seconds_since() { local now; now=$(date +%s%N); echo "$(( (now - $1) / 1000000000 )).$(( (now - $1) / 100000000 % 10 ))"; }
started=$(date +%s%N)
"${check[@]}" seed "$sandbox" --mailboxes "$mailboxes" --count "$messages" --prefix "$prefix"
"${check[@]}" enqueue "$amqp" --count "$notifications" --prefix "$prefix"

# Scale while mail flows: up by one of each, then down (a graceful stop) and a kill of one of each.
fetch mailpool-fetch-up
notify mailpool-notify-up
sleep 3
stops=()
for name in mailpool-fetch-1 mailpool-notify-1; do
  before=$(date +%s%N)
  podman stop -t 60 "$name" >/dev/null
  status=$(podman inspect --format '{{.State.ExitCode}}' "$name")
  stops+=("$name $(seconds_since "$before") s, exit $status")
  [ "$status" = 0 ] || { echo "podman stop did not drain $name (exit $status)"; podman logs --tail 20 "$name"; exit 1; }
done
sleep 2
podman kill mailpool-fetch-2 mailpool-notify-2 >/dev/null
echo "scaled up by one of each, stopped ($(IFS=';'; echo "${stops[*]}")), killed mailpool-fetch-2 and mailpool-notify-2"
fetch mailpool-fetch-after-kill
notify mailpool-notify-after-kill

"${check[@]}" wait "$sandbox" "$amqp" --mailboxes "$mailboxes" --messages "$messages" --sender "$sender" \
  --notifications "$notifications" --prefix "$prefix" --timeout $((600 + messages_total + notifications)) >/dev/null
elapsed=$(seconds_since "$started")
echo "peak RSS inside the containers (VmHWM):"
for name in $(podman ps --format '{{.Names}}' | grep -E 'mailpool-(fetch|notify|poller)' | sort); do
  pid=$(podman inspect --format '{{.State.Pid}}' "$name")
  echo "  $name: $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")"
done
# Graceful stops of the rest prove the drain again, then nothing may be left half done.
for name in $(podman ps --format '{{.Names}}' | grep -E 'mailpool-(fetch|notify|poller)'); do podman stop -t 60 "$name" >/dev/null & done
wait
result=$("${check[@]}" verify "$sandbox" "$amqp" --mailboxes "$mailboxes" --messages "$messages" --sender "$sender" \
  --notifications "$notifications" --prefix "$prefix") || { echo "LOSS OR DUPLICATE: $result"; exit 1; }
echo "$messages_total messages and $notifications notifications through the containers in $elapsed s: $result"
