#!/usr/bin/env bash
# Starts a 3-node RabbitMQ cluster on loopback beside the single test node (rabbit@localhost, which
# it leaves alone): nodes rabbit-1@localhost, rabbit-2@localhost and rabbit-3@localhost, each with
# its own data directory, AMQP port (5681, 5682, 5683), management port (15681...) and Prometheus
# port (15701...; 15692 is the single node's), joined into one cluster. Then it declares mailpool's
# topology through all three (quorum queues get a member on every node) and prints each quorum
# queue's members. Idempotent: nodes already running are kept. `start-cluster.sh stop` stops them.
set -euo pipefail
cd "$(dirname "$0")/../.."
state=${MAILPOOL_LOCAL_STATE:-/var/tmp/mailpool}/cluster
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

node_env() {   # node_env N: the environment of node N
  local n=$1 dir="$state/rabbit-$1"
  export RABBITMQ_NODENAME="rabbit-$n@localhost" RABBITMQ_NODE_PORT=$((5680 + n)) RABBITMQ_DIST_PORT=$((25680 + n))
  export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
}

if [ "${1:-}" = "stop" ]; then
  for n in 1 2 3; do rabbitmqctl -n "rabbit-$n@localhost" stop >/dev/null 2>&1 || true; done
  exit 0
fi

for n in 1 2 3; do
  (
    node_env "$n"
    rabbitmqctl -n "$RABBITMQ_NODENAME" status >/dev/null 2>&1 && exit 0
    dir="$state/rabbit-$n"
    mkdir -p "$dir/mnesia" "$dir/log"
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$((5680 + n))
listeners.ssl = none
management.tcp.ip = 127.0.0.1
management.tcp.port = $((15680 + n))
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $((15700 + n))
cluster_partition_handling = pause_minority
raft.wal_max_size_bytes = 67108864
CONF
    echo "[rabbitmq_management,rabbitmq_prometheus]." >"$dir/enabled_plugins"
    chown -R rabbitmq:rabbitmq "$dir"
    nohup rabbitmq-server >/dev/null 2>&1 &
  )
done
for n in 1 2 3; do
  for _ in $(seq 1 120); do rabbitmqctl -n "rabbit-$n@localhost" ping >/dev/null 2>&1 && break; sleep 1; done
  rabbitmqctl -n "rabbit-$n@localhost" await_startup --timeout 120 >/dev/null
done
for n in 2 3; do
  if ! rabbitmqctl -n "rabbit-$n@localhost" cluster_status --formatter json | grep -q '"rabbit-1@localhost"'; then
    rabbitmqctl -n "rabbit-$n@localhost" stop_app >/dev/null
    rabbitmqctl -n "rabbit-$n@localhost" join_cluster rabbit-1@localhost >/dev/null
    rabbitmqctl -n "rabbit-$n@localhost" start_app >/dev/null
  fi
done
rabbitmqctl -n rabbit-1@localhost cluster_status --formatter json \
  | python3 -c 'import json,sys; s=json.load(sys.stdin); print("cluster running nodes:", " ".join(sorted(s["running_nodes"])))'

# mailpool's topology, declared through the three nodes (a connection tries them in turn).
urls=amqp://guest:guest@127.0.0.1:5681/%2f,amqp://guest:guest@127.0.0.1:5682/%2f,amqp://guest:guest@127.0.0.1:5683/%2f
mailpool=${MAILPOOL_BIN:-.build/debug/mailpool}
[ -x "$mailpool" ] || swift build --product mailpool
export MAILPOOL_AMQP_URL=$urls MAILPOOL_ACCOUNTS=deploy/local/quickstart-accounts.json QUICKSTART_GRAPH_SECRET=unused
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
for q in $(rabbitmqctl -n rabbit-1@localhost list_queues name type --quiet --no-table-headers | awk '$2 == "quorum" {print $1}'); do
  echo "$q: $(rabbitmq-queues -n rabbit-1@localhost quorum_status "$q" --formatter json \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)), "members")')"
done
