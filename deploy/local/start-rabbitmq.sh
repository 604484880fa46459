#!/usr/bin/env bash
# Starts Debian's rabbitmq-server on loopback (node rabbit@localhost) unless it already answers,
# and waits until it has booted. Idempotent: safe to call from the quick start, the tests and CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_CONFIG_FILE="$here/rabbitmq"        # rabbitmq.conf beside this script
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_DIST_PORT=25672
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"

if rabbitmqctl -n "$RABBITMQ_NODENAME" status >/dev/null 2>&1; then
  exit 0
fi
rabbitmq-plugins --offline enable rabbitmq_management rabbitmq_prometheus >/dev/null
log=${TMPDIR:-/tmp}/mailpool-rabbitmq.log
nohup rabbitmq-server >"$log" 2>&1 &
# await_startup needs a node that already answers, so first wait for the Erlang node itself.
for _ in $(seq 1 120); do
  rabbitmqctl -n "$RABBITMQ_NODENAME" ping >/dev/null 2>&1 && break
  sleep 1
done
if ! rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup --timeout 120 >/dev/null 2>&1; then
  echo "rabbitmq-server did not start; see $log" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
fi
echo "RabbitMQ is up on 127.0.0.1:5672 (management on 127.0.0.1:15672)"
