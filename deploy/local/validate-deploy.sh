#!/usr/bin/env bash
# Checks the deployment files offline: no Docker engine, cluster or registry is needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
docker-compose -f docker-compose.yml config -q
docker-compose -f docker-compose.yml --profile monitoring config -q
echo "docker-compose.yml is valid (with and without the monitoring profile)"
promtool check config deploy/monitoring/prometheus.yml >/dev/null
echo "deploy/monitoring/prometheus.yml is valid"
cmp -s deploy/sandbox/seed.json deploy/kubernetes/overlays/sandbox/seed.json \
  || { echo "deploy/kubernetes/overlays/sandbox/seed.json differs from deploy/sandbox/seed.json"; exit 1; }
python3 deploy/local/validate-kubernetes.py
echo "the Kubernetes overlays are valid"
