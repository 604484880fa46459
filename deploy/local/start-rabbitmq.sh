#!/usr/bin/env bash
# Starts Debian's rabbitmq-server on loopback (node rabbit@localhost) unless it already answers, and
# waits until it has booted. Listeners: AMQP 127.0.0.1:5672, AMQPS 127.0.0.1:5671 (a throw-away CA
# made here, in $MAILPOOL_LOCAL_STATE/tls), management 15672, Prometheus 15692.
# Idempotent: the quick start, the tests and CI all call it.
set -euo pipefail
state=${MAILPOOL_LOCAL_STATE:-/var/tmp/mailpool}
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_CONFIG_FILE="$state/rabbitmq"        # $state/rabbitmq.conf
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_DIST_PORT=25672
# +swt very_high: wake a second scheduler thread only when work has queued up, not at every burst.
# This broker shares 2 cores with the pool's processes and the servers of the tests; waking eagerly
# cost `mailpool-bench notifications` about a tenth of its throughput (README, Benchmarks).
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +swt very_high"

if rabbitmqctl -n "$RABBITMQ_NODENAME" status >/dev/null 2>&1; then
  exit 0
fi

tls="$state/tls"
mkdir -p "$tls"
chmod 755 "$state" "$tls"
if [ ! -f "$tls/server.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mailpool test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tls/san.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 3650 -extfile "$tls/san.ext" -out "$tls/server.pem" 2>/dev/null
  chmod 644 "$tls"/*   # a throw-away key for loopback tests; the broker runs as user rabbitmq
fi

cat >"$state/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:5672
listeners.ssl.default = 127.0.0.1:5671
ssl_options.cacertfile = $tls/ca.pem
ssl_options.certfile = $tls/server.pem
ssl_options.keyfile = $tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = 15692
# Quorum queues buffer their write-ahead log in memory (quorum_ets) until it reaches this size; the
# default, 512 MB, lets the pool's steady job traffic hold that much. 64 MB bounds it.
raft.wal_max_size_bytes = 67108864
CONF
chmod 644 "$state/rabbitmq.conf"

rabbitmq-plugins --offline enable rabbitmq_management rabbitmq_prometheus >/dev/null
nohup rabbitmq-server >/dev/null 2>&1 &
# await_startup needs a node that already answers, so first wait for the Erlang node itself.
for _ in $(seq 1 120); do
  rabbitmqctl -n "$RABBITMQ_NODENAME" ping >/dev/null 2>&1 && break
  sleep 1
done
if ! rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup --timeout 120 >/dev/null 2>&1; then
  echo "rabbitmq-server did not start" >&2
  tail -n 40 /var/log/rabbitmq/startup_log /var/log/rabbitmq/startup_err /var/log/rabbitmq/*.log >&2 || true
  exit 1
fi
echo "RabbitMQ is up on 127.0.0.1:5672 (TLS 5671, management 15672)"
