#!/usr/bin/env bash
# Checks the container definitions offline: no Docker engine is needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
RABBITMQ_PASSWORD=validate docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml is valid"
