#!/usr/bin/env bash
# The chaos suite: the pool against the 3-node cluster of start-cluster.sh (each node in a network
# namespace of its own), one fault per scenario while mail flows. Each scenario gets a virtual host of
# its own, the Graph sandbox (Sent Items filed 5 s after a send, as Graph does), 2 pollers, 2 fetch
# workers and 2 notification workers (each given the three nodes in its own order), MESSAGES messages
# over 4 mailboxes and NOTIFICATIONS notifications. The workers are processes of the release build, or
# with CHAOS_WORKERS=containers (the test command) containers of the image of build-image.sh, on the
# host's network, killed with `podman kill` and stopped with `podman stop`. The faults:
#
#   node-stop     the node leading mailpool.notifications stopped, started again 20 s later
#   rolling       every node stopped and started again, one after the other, each once the quorum
#                 queues can lose a member (a rolling upgrade)
#   kill-workers  a random worker or poller SIGKILLed every 3-6 s for 60 s, each replaced at once
#   graph-down    Graph answers 503 to every request for 30 s ("resume" counts from its end)
#   node-freeze   the node leading mailpool.fetch SIGSTOPped for 40 s (longer than the workers'
#                 heartbeat timeout, 30 s; shorter than the 45 s in which the other nodes would take
#                 it as down), then SIGCONTed
#   partition     the node leading the events queue cut off from the other nodes and from the workers
#                 for 90 s (its veth down; the others take it as down after 45-75 s and pause_minority
#                 pauses it), then joined again
#
# CHAOS_SHORT=1 (the test command) shortens the faults: a node down 10 s, workers killed for 20 s,
# Graph down 15 s, a freeze of 35 s, a partition of 30 s (too short for the nodes to notice: the
# workers' heartbeats do). After each scenario the cluster must be whole again (start-cluster.sh
# check: every node running, no partition) before the next one.
#
# After each it prints a row: ingests and sends lost and duplicated, dead letters, the seconds from
# the fault until events and sends flowed again ("resume"), and until everything was through. Any
# loss, notification sent twice or left waiting fails the suite, and so does any event duplicated
# without its mark: when a node is stopped or frozen while it holds an event's publish confirm, the
# fetch worker cannot know the event arrived and publishes it again, marked `possibleRepeat`
# (consumers dedupe by its dedupeKey; README: The inbound pipeline). Such marked copies are counted;
# a second unmarked copy of an event is a defect.
#
#   deploy/local/cluster-chaos.sh                                   # every scenario, 2,000 + 2,000
#   CHAOS_WORKERS=containers deploy/local/cluster-chaos.sh         # the same, the workers in containers
#   MESSAGES=200 NOTIFICATIONS=200 deploy/local/cluster-chaos.sh node-stop partition
set -euo pipefail
cd "$(dirname "$0")/../.."
messages_total=${MESSAGES:-2000}
notifications=${NOTIFICATIONS:-2000}
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(node-stop rolling kill-workers graph-down node-freeze partition)
mailbox_count=4
if [ -n "${CHAOS_SHORT:-}" ]; then down=10 killing=20 outage=15 freeze=35 cut=30; else down=20 killing=60 outage=30 freeze=40 cut=90; fi
messages=$((messages_total / mailbox_count))   # per mailbox
# MAILPOOL_CONFIGURATION=debug (the test command) runs the debug build it has already compiled.
configuration=${MAILPOOL_CONFIGURATION:-release}
bin=.build/$configuration
workers_as=${CHAOS_WORKERS:-processes}
# quietly COMMAND...: runs it with its output kept aside, shown only when it fails (then the suite ends).
quietly() {
  local log
  log=$(mktemp)
  "$@" >"$log" 2>&1 || { echo "failed: $*"; tail -30 "$log"; rm -f "$log"; exit 1; }
  rm -f "$log"
}
case $workers_as in
  processes) for product in mailpool mailpool-sandbox; do
               [ -x "$bin/$product" ] || swift build -c "$configuration" --product "$product"
             done ;;
  containers) source deploy/local/container-run.sh   # container=(podman run … as every container here runs)
              quietly deploy/local/build-image.sh ;;
  *) echo "CHAOS_WORKERS is processes or containers, not $workers_as" >&2; exit 2 ;;
esac
cluster=deploy/local/start-cluster.sh
MAILPOOL_BIN=$bin/mailpool quietly $cluster
IFS=, read -r -a nodes <<<"$($cluster urls)"
ctl() { rabbitmqctl -n rabbit@mailpool-n1 "$@"; }
cluster_nodes=rabbit@mailpool-n1,rabbit@mailpool-n2,rabbit@mailpool-n3

port=18766
sandbox=http://127.0.0.1:$port
sender=notifications@contoso.example
mailboxes=$(seq -s, -f "box%g@contoso.example" 0 $((mailbox_count - 1)))
logs=${LOG_DIR:-/tmp/mailpool-cluster-chaos-logs}
work=$(mktemp -d)
rm -rf "$logs" && mkdir -p "$logs"
declare -A workers=()   # pid or container name → kind
sandbox_pid=""
cleanup() {
  local worker
  for worker in "${!workers[@]}"; do
    case $workers_as in
      processes) kill -9 "$worker" 2>/dev/null || true ;;
      containers) forget "$worker" ;;
    esac
  done
  [ -z "$sandbox_pid" ] || kill "$sandbox_pid" 2>/dev/null || true
  local n
  for n in 1 2 3; do ip link set "mailpool-v$n" up 2>/dev/null || true; done
  pkill -CONT -f 'beam.*rabbit@mailpool-n' 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The sandbox's tenant and the accounts that use it (plain HTTP on loopback, which mailpool allows).
python3 deploy/local/poolcheck.py configure "$work" "$sandbox" --mailboxes "$mailboxes" --sender "$sender" \
  --secret '{"env": "CHAOS_GRAPH_SECRET"}'
CHAOS_GRAPH_SECRET=$(cat deploy/compose/secrets/graph-client-secret)   # the sandbox's, not a real one
export CHAOS_GRAPH_SECRET
export MAILPOOL_ACCOUNTS=$work/accounts.json MAILPOOL_LOG_FORMAT=json
# Containers see $work at its own path: the accounts, and the store and dedupe records they share.
mkdir -p "$work/store" "$work/dedupe"
chmod 755 "$work" && chmod 644 "$work/accounts.json" && chown 65532:65532 "$work/store" "$work/dedupe"
"$bin/mailpool-sandbox" --seed "$work/seed.json" --port $port >"$logs/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do curl -sf "$sandbox/health/ready" >/dev/null && break; sleep 0.2; done
faults() { curl -sf -X PUT "$sandbox/_sandbox/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null; }
baseline='{"sentItemsDelaySeconds": 5}'

started_workers=0
# start KIND: a poller, fetch worker or notification worker of this scenario, its nodes in an order of
# its own, so that connections spread over the cluster.
start() {
  local kind=$1 first=$((started_workers % 3)) urls options
  local rotated=("${nodes[@]:first}" "${nodes[@]:0:first}")
  urls=$(IFS=,; echo "${rotated[*]//%2f/$vhost}")
  case $kind in
    poller) options=(poller) ;;
    fetch) options=(fetch-worker --default-events-queue --store "$work/store") ;;
    notify) options=(notification-worker --dedupe "$work/dedupe" --per-minute 0 --send-window 15 --request-timeout 15
                     --filing-allowance 15 --retry-ladder 5,15,45,135,405) ;;
  esac
  local name=$scenario-$kind-$started_workers
  started_workers=$((started_workers + 1))
  case $workers_as in
    processes)
      MAILPOOL_AMQP_URL=$urls "$bin/mailpool" "${options[@]}" >>"$logs/$name.log" 2>&1 &
      workers[$!]=$kind ;;
    containers)
      "${container[@]}" --name "mailpool-chaos-$name" --stop-timeout 60 -v "$work:$work" -e MAILPOOL_AMQP_URL="$urls" \
        -e MAILPOOL_METRICS_PORT=$((19200 + started_workers)) -e MAILPOOL_ACCOUNTS -e MAILPOOL_LOG_FORMAT -e CHAOS_GRAPH_SECRET \
        localhost/mailpool:local "${options[@]}" >/dev/null 2>>"$logs/podman.log"
      workers[mailpool-chaos-$name]=$kind ;;
  esac
}
forget() {   # a stopped or killed container: its log kept, the container removed
  podman logs "$1" >"$logs/${1#mailpool-chaos-}.log" 2>&1 || true
  podman rm -f "$1" >/dev/null 2>&1 || true
}
stop_all() {   # every worker gracefully; each must exit 0 within 60 s
  local worker failed=0 status
  case $workers_as in
    processes)
      for worker in "${!workers[@]}"; do kill -TERM "$worker" 2>/dev/null || true; done
      for worker in "${!workers[@]}"; do
        if ! timeout 70 tail --pid="$worker" -f /dev/null; then echo "worker $worker did not stop"; failed=1; fi
        wait "$worker" 2>/dev/null || { echo "worker $worker (${workers[$worker]}) exited $?"; failed=1; }
      done ;;
    containers)
      podman stop -t 60 "${!workers[@]}" >/dev/null 2>>"$logs/podman.log"
      for worker in "${!workers[@]}"; do
        status=$(podman inspect --format '{{.State.ExitCode}}' "$worker")
        [ "$status" = 0 ] || { echo "worker $worker exited $status"; failed=1; }
        forget "$worker"
      done ;;
  esac
  workers=()
  return $failed
}
kill_random() {
  local all=("${!workers[@]}") worker
  worker=${all[$((RANDOM % ${#all[@]}))]}
  case $workers_as in
    processes) kill -9 "$worker"; wait "$worker" 2>/dev/null || true ;;
    containers) podman kill "$worker" >/dev/null 2>>"$logs/podman.log"; forget "$worker" ;;
  esac
  local kind=${workers[$worker]}
  unset "workers[$worker]"
  start "$kind"
}
beam() { cat "${MAILPOOL_LOCAL_STATE:-/var/tmp/mailpool}/cluster/rabbit-$1/pid"; }
# leader QUEUE: the number of the node leading the scenario's quorum queue QUEUE. (Not list_queues: the
# other nodes send their rows to the CLI's own node, which they cannot reach from their namespaces.)
leader() {
  rabbitmq-queues -n rabbit@mailpool-n1 quorum_status -p "$vhost" "$1" --formatter json \
    | python3 -c 'import json,sys; print(next(m["Node Name"][-1] for m in json.load(sys.stdin) if m["Raft State"] == "leader"))'
}

check=(python3 deploy/local/poolcheck.py)
pool=(--mailboxes "$mailboxes" --messages "$messages" --sender "$sender" --notifications "$notifications")
seconds_since() { local now; now=$(date +%s%N); echo "$(( (now - $1) / 1000000000 )).$(( (now - $1) / 100000000 % 10 ))"; }
rows=()
failures=0
for scenario in "${scenarios[@]}"; do
  vhost=chaos-$scenario
  prefix=$scenario-$(date +%s)
  amqp=$(IFS=,; echo "${nodes[*]//%2f/$vhost}")
  ctl delete_vhost "$vhost" >/dev/null 2>&1 || true
  ctl add_vhost "$vhost" >/dev/null
  ctl set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
  faults "$baseline"
  for kind in poller poller fetch fetch notify notify; do start "$kind"; done
  started=$(date +%s%N)
  "${check[@]}" seed "$sandbox" --mailboxes "$mailboxes" --count "$messages" --prefix "$prefix" >/dev/null
  "${check[@]}" enqueue "$amqp" --count "$notifications" --prefix "$prefix" >/dev/null
  sleep 3
  # resume: the seconds until the pool moves again (poolcheck.py progress); measure &: the same in the
  # background, into $work/resumed, while the fault lasts.
  resume() { "${check[@]}" progress "$sandbox" "$amqp" "${pool[@]}" --prefix "$prefix" --timeout 300; }
  measure() { resume >"$work/resumed" & measuring=$!; }
  measured() { wait "$measuring"; resumed=$(cat "$work/resumed"); }
  case $scenario in
    node-stop)
      node=$(leader mailpool.notifications)
      $cluster stop-node "$node"
      measure
      sleep "$down"
      $cluster start-node "$node"
      measured ;;
    rolling)
      resumed=0
      for n in 1 2 3; do
        rabbitmq-upgrade -n "rabbit@mailpool-n$n" await_online_quorum_plus_one --timeout 300 >/dev/null
        $cluster stop-node "$n"
        took=$(resume)
        resumed=$(python3 -c "print(max($resumed, $took))")
        $cluster start-node "$n"
      done ;;
    kill-workers)
      kill_random
      measure
      until [ "$(seconds_since "$started" | cut -d. -f1)" -ge $((3 + killing)) ]; do sleep $((3 + RANDOM % 4)); kill_random; done
      measured ;;
    graph-down)
      faults '{"sentItemsDelaySeconds": 5, "serviceUnavailableRate": 1}'
      sleep "$outage"
      faults "$baseline"
      resumed=$(resume) ;;
    node-freeze)
      node=$(leader mailpool.fetch)
      kill -STOP "$(beam "$node")"
      measure
      sleep "$freeze"
      kill -CONT "$(beam "$node")"
      measured ;;
    partition)
      node=$(leader mailpool.inbound.events)
      ip link set "mailpool-v$node" down
      measure
      sleep "$cut"
      ip link set "mailpool-v$node" up
      measured ;;
    *) echo "unknown scenario $scenario"; exit 2 ;;
  esac
  for n in 1 2 3; do rabbitmqctl -n "rabbit@mailpool-n$n" await_startup --timeout 300 >/dev/null; done
  for _ in $(seq 1 60); do $cluster check >/dev/null 2>&1 && break; sleep 2; done
  $cluster check || { echo "$scenario: the cluster did not heal"; exit 1; }
  "${check[@]}" wait "$sandbox" "$amqp" "${pool[@]}" --prefix "$prefix" --node "$cluster_nodes" \
    --timeout $((900 + messages_total + notifications)) >/dev/null || failures=$((failures + 1))
  through=$(seconds_since "$started")
  stop_all || failures=$((failures + 1))
  result=$("${check[@]}" verify "$sandbox" "$amqp" "${pool[@]}" --prefix "$prefix" --node "$cluster_nodes") \
    || failures=$((failures + 1))
  rows+=("$scenario: $result, resumed in $resumed s, through in $through s")
  echo "${rows[-1]}"
  ctl delete_vhost "$vhost" >/dev/null
done
printf '%s\n' "${rows[@]}" >"$logs/rows"
[ "$failures" = 0 ] || { echo "chaos: $failures failure(s); logs in $logs"; exit 1; }
echo "chaos: every scenario without loss, notification sent twice or left waiting ($messages_total messages and $notifications notifications each)"
