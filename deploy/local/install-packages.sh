#!/usr/bin/env bash
# Installs the Debian packages mailpool builds against and tests with. With --if-missing it does
# nothing when they are all installed already (the quick start and the test command use that).
set -euo pipefail
packages=(
  rabbitmq-server        # the broker the tests and the quick start run against
  librabbitmq-dev        # rabbitmq-c 0.11, the AMQP client library
  libcurl4-openssl-dev   # libcurl, for HTTP (Graph), IMAP, POP3 and SMTP
  libssl-dev             # OpenSSL's libcrypto (libcurl's TLS library): digests and the RS256 client assertion
  pkg-config
  dovecot-imapd          # IMAP4 server the legacy-protocol tests run against
  dovecot-pop3d          # POP3 server likewise
  openssl                # makes the throw-away CA for the TLS listeners
  socat                  # a TCP relay the heartbeat test freezes to cut a connection silently
  docker-compose         # validates docker-compose.yml offline (no engine runs here)
  libpython3.11-testsuite  # Python's real-world email messages, the MIME corpus test's input
  prometheus             # the server scrapes a worker in the operations test; promtool tests the alert rules
  time                   # /usr/bin/time: the dead-letter benchmark reports the CLI's peak RSS with it
  curl                   # the quick start and the container run talk to the sandbox's admin API
  podman runc            # the container run (deploy/local/containers.sh); runc, as crun refuses hybrid cgroups
  debootstrap            # the containers' base image, from Debian's own packages (no registry is reachable)
  iproute2               # the 3-node cluster's network namespaces, bridge and veth pairs (start-cluster.sh)
)
# Python tools the tests use: jsonschema (validates events against deploy/schemas), aiosmtpd (the test
# SMTP server), pika (runs the Python notification example) and kubernetes-validate (checks the
# Kubernetes manifests offline).
python3 -c 'import jsonschema, aiosmtpd, pika, kubernetes_validate, yaml' 2>/dev/null \
  || python3 -m pip install --quiet jsonschema aiosmtpd pika kubernetes-validate pyyaml

if [ "${1:-}" = "--if-missing" ]; then
  missing=$(dpkg-query -W -f='${Status} ${Package}\n' "${packages[@]}" 2>&1 | grep -v "^install ok installed" || true)
  [ -z "$missing" ] && exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
