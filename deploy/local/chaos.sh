#!/usr/bin/env bash
# The full chaos suites (README: Tests): 2,000 notifications per case through every Graph fault class,
# all of them together with the broker closing connections and a worker SIGKILLed, and SMTP with
# refusals, lost replies and a closed connection. The test command runs the same tests with 300.
# Needs the servers the test command starts (run deploy/local/test.sh once first, or its start scripts).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift build
MAILPOOL_CHAOS_NOTIFICATIONS="${1:-2000}" swift test \
  --filter 'NotificationAmbiguityTests|NotificationConcurrentResumeTests|manyThroughRefusalsLostRepliesAndAClosedConnection'
