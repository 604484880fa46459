#!/usr/bin/env bash
# Starts the test SMTP server (aiosmtpd, deploy/local/smtp-server.py) on loopback unless it already
# answers: STARTTLS 10587, implicit TLS 10465, messages spooled to $MAILPOOL_LOCAL_STATE/smtp-spool.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${MAILPOOL_LOCAL_STATE:-/var/tmp/mailpool}
(exec 3<>/dev/tcp/127.0.0.1/10587) 2>/dev/null && exit 0
mkdir -p "$state"
nohup python3 "$here/smtp-server.py" "$state/smtp-spool" "$state/tls/server.pem" "$state/tls/server.key" \
  >"$state/smtp-server.log" 2>&1 &
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/10587) 2>/dev/null && { echo "SMTP test server is up: STARTTLS 127.0.0.1:10587, TLS 10465"; exit 0; }
  sleep 0.1
done
echo "the SMTP test server did not start; see $state/smtp-server.log" >&2
cat "$state/smtp-server.log" >&2
exit 1
