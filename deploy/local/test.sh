#!/usr/bin/env bash
# The test command: installs what is missing, starts the servers the tests use on loopback (RabbitMQ,
# Dovecot, an SMTP server; the Graph sandbox runs inside the tests), validates the container files,
# and runs every test against them, the Graph client's twice: over HTTP/1.1 and over HTTPS with
# HTTP/2; then it runs the pool in podman containers (deploy/local/containers.sh, short) and the chaos
# suite against a 3-node cluster (deploy/local/cluster-chaos.sh, short). Tests that need a server fail
# (never skip) when it is not there.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
deploy/local/install-packages.sh --if-missing
deploy/local/start-rabbitmq.sh
deploy/local/start-dovecot.sh
deploy/local/start-smtp.sh
deploy/local/validate-deploy.sh
swift build   # the tests also run the mailpool executable as a separate process (to SIGKILL it)
# At most 8 tests at a time. Most of them run a whole pool (a sandbox, workers, broker connections);
# all 112 at once on two cores took the same wall time, but some then needed minutes for what takes
# seconds alone, past their limits.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-8}
swift test "$@"
# The Graph client's suite again, against the sandbox over HTTPS with HTTP/2 (as Graph serves), with
# the loopback certificate start-rabbitmq.sh made.
if [ $# -eq 0 ]; then
  MAILPOOL_GRAPH_TRANSPORT=https swift test --skip-build --filter MailpoolGraphTests
  # Both on the debug build just compiled: a release build from scratch takes 12 minutes on CI's 2
  # cores. The full runs (README: Running at scale) use the release build.
  export MAILPOOL_CONFIGURATION=debug
  # The pool in podman containers, scaled, stopped and killed while mail flows (the full run is
  # deploy/local/containers.sh with 2,000 of each).
  MESSAGES=200 NOTIFICATIONS=200 deploy/local/containers.sh
  # Every chaos scenario against a 3-node cluster, the workers in containers, with 100 of each and
  # shorter faults (the full run is deploy/local/cluster-chaos.sh with 2,000 of each).
  CHAOS_WORKERS=containers MESSAGES=100 NOTIFICATIONS=100 CHAOS_SHORT=1 deploy/local/cluster-chaos.sh
fi
