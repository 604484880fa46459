#!/usr/bin/env bash
# Quick start on a fresh Debian machine: installs what is missing, starts RabbitMQ on loopback,
# builds mailpool and round-trips messages through the broker with publisher confirms.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
deploy/local/install-packages.sh --if-missing
deploy/local/start-rabbitmq.sh
swift build -c release --product mailpool
.build/release/mailpool broker-check --count 1000
