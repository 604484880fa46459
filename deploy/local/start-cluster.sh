#!/usr/bin/env bash
# A 3-node RabbitMQ cluster on this machine, each node in a network namespace of its own so that a
# partition is real: namespaces mailpool-n1..3, joined by veth pairs to the bridge mailpool-br
# (10.77.0.1/24 on this side), node N at 10.77.0.1N named rabbit@mailpool-nN (the names are added to
# /etc/hosts), each with its own data directory and the standard ports inside its namespace (AMQP
# 5672, management 15672, Prometheus 15692). The single test node (rabbit@localhost on loopback) is
# left alone. Joined into one cluster with pause_minority; then mailpool's topology is declared
# through the three (quorum queues get a member on every node) and each quorum queue's members are
# printed. Idempotent: nodes already running are kept.
#
# MAILPOOL_NET_TICKTIME (default 60, Erlang's) and MAILPOOL_PARTITION_HANDLING (default pause_minority)
# set a node's configuration when it is started; README (A 3-node cluster on this machine) gives what
# other values did to the chaos suite, and why the defaults stay.
#
#   start-cluster.sh              start (or complete) the cluster
#   start-cluster.sh stop         stop the three nodes
#   start-cluster.sh stop-node N  stop node N (the Erlang VM), as a crash would but cleanly
#   start-cluster.sh start-node N start node N again and wait until it has rejoined
#   start-cluster.sh urls         the AMQP URLs of the three nodes, comma-separated
#   start-cluster.sh check        fails unless every node runs and sees the other two, without partitions
#   start-cluster.sh reset        stops the nodes and deletes their data
set -euo pipefail
cd "$(dirname "$0")/../.."
state=${MAILPOOL_LOCAL_STATE:-/var/tmp/mailpool}/cluster
bridge=mailpool-br
nodes=(1 2 3)

address() { echo "10.77.0.$((10 + $1))"; }
ctl() { local n=$1; shift; rabbitmqctl -n "rabbit@mailpool-n$n" "$@"; }
urls() { local n list=(); for n in "${nodes[@]}"; do list+=("amqp://guest:guest@$(address "$n"):5672/%2f"); done; (IFS=,; echo "${list[*]}"); }

network() {   # the bridge, each node's namespace and veth pair, and its name in /etc/hosts
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add 10.77.0.1/24 dev "$bridge"
    ip link set "$bridge" up
  fi
  local n ns
  for n in "${nodes[@]}"; do
    ns=mailpool-n$n
    if ! ip netns list | grep -qw "$ns"; then
      ip netns add "$ns"
      ip link add "mailpool-v$n" type veth peer name eth0 netns "$ns"
      ip link set "mailpool-v$n" master "$bridge" up
      ip -n "$ns" addr add "$(address "$n")/24" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" link set lo up
    fi
    ip link set "mailpool-v$n" up
    grep -q " $ns\$" /etc/hosts || echo "$(address "$n") $ns" >>/etc/hosts
  done
}

start_node() {   # start_node N: boots node N in its namespace unless it answers, and waits for it
  local n=$1 dir="$state/rabbit-$1"
  if ! ctl "$n" status >/dev/null 2>&1; then
    mkdir -p "$dir/mnesia" "$dir/log"
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 5672
listeners.ssl = none
# guest may connect from the bridge: a throw-away cluster reachable only from this machine
loopback_users = none
cluster_partition_handling = ${MAILPOOL_PARTITION_HANDLING:-pause_minority}
net_ticktime = ${MAILPOOL_NET_TICKTIME:-60}
raft.wal_max_size_bytes = 67108864
CONF
    echo "[rabbitmq_management,rabbitmq_prometheus]." >"$dir/enabled_plugins"
    chown -R rabbitmq:rabbitmq "$dir"
    ip netns exec "mailpool-n$n" env -u ERL_EPMD_ADDRESS -u RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS \
      RABBITMQ_NODENAME="rabbit@mailpool-n$n" RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
      RABBITMQ_PID_FILE="$dir/pid" RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
      nohup rabbitmq-server >/dev/null 2>&1 &
  fi
  local _
  for _ in $(seq 1 120); do ctl "$n" ping >/dev/null 2>&1 && break; sleep 1; done
  ctl "$n" await_startup --timeout 120 >/dev/null
}

case "${1:-start}" in
  stop) for n in "${nodes[@]}"; do ctl "$n" stop >/dev/null 2>&1 || true; done; exit 0 ;;
  stop-node) ctl "$2" stop >/dev/null; exit 0 ;;
  start-node) start_node "$2"; exit 0 ;;
  urls) urls; exit 0 ;;
  check)
    for n in "${nodes[@]}"; do
      ctl "$n" cluster_status --formatter json | python3 -c '
import json, sys
status = json.load(sys.stdin)
running, partitions = sorted(status["running_nodes"]), status.get("partitions") or {}
if len(running) != 3 or partitions:
    sys.exit(f"{sys.argv[1]}: running {running}, partitions {partitions}")' "rabbit@mailpool-n$n"
    done
    exit 0 ;;
  reset)
    for n in "${nodes[@]}"; do ctl "$n" stop >/dev/null 2>&1 || true; done
    rm -rf "$state"
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|stop-node N|start-node N|urls|check|reset]" >&2; exit 2 ;;
esac

network
for n in "${nodes[@]}"; do start_node "$n" & done
wait
for n in 2 3; do
  if ! ctl "$n" cluster_status --formatter json | grep -q '"rabbit@mailpool-n1"'; then
    ctl "$n" stop_app >/dev/null
    ctl "$n" join_cluster rabbit@mailpool-n1 >/dev/null
    ctl "$n" start_app >/dev/null
  fi
done
ctl 1 cluster_status --formatter json \
  | python3 -c 'import json,sys; s=json.load(sys.stdin); print("cluster running nodes:", " ".join(sorted(s["running_nodes"])))'

# mailpool's topology, declared through the three nodes (a connection tries them in turn).
mailpool=${MAILPOOL_BIN:-.build/debug/mailpool}
[ -x "$mailpool" ] || swift build --product mailpool
MAILPOOL_AMQP_URL=$(urls)
export MAILPOOL_AMQP_URL MAILPOOL_ACCOUNTS=deploy/local/quickstart-accounts.json QUICKSTART_GRAPH_SECRET=unused
"$mailpool" broker-check --count 100 >/dev/null
# The workers declare their topology when they start; they are stopped once they are ready.
work=$(mktemp -d)
pids=()
for process in "poller" "fetch-worker --store $work/store" "notification-worker --dedupe $work/dedupe"; do
  port=$((19090 + ${#pids[@]}))
  # shellcheck disable=SC2086 # the process's name and options, split on purpose
  "$mailpool" $process --metrics-port "$port" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do "$mailpool" health --port "$port" >/dev/null 2>&1 && break; sleep 0.5; done
done
kill -TERM "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
rm -rf "$work"
# Each node lists the queues it leads (`--local`): asked for all, a node gathers the others' rows at the
# CLI's own node, which the nodes cannot reach from their namespaces.
for q in $(for n in "${nodes[@]}"; do ctl "$n" list_queues name type --local --quiet --no-table-headers; done | awk '$2 == "quorum" {print $1}'); do
  echo "$q: $(rabbitmq-queues -n rabbit@mailpool-n1 quorum_status "$q" --formatter json \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "members")')"
done
