#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The whole test run, from a clean clone: Debian packages the conformance suites drive (aws-cli v2,
# boto3, wrk, python3-fusepy for the read-only data dir test…), npm dependencies, then every unit and
# conformance test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash conformance/backends/install-debs.sh test-all awscli python3-boto3 wrk rclone restic s3cmd python3-fusepy

# Real backends (Ceph, Prometheus, VictoriaMetrics…): each conformance/backends/<name>/install.sh
# installs what its backend needs (idempotent); the suites start the backend with its up.sh, and
# every backend's down.sh stops it (only its own processes) when the run ends.
for inst in conformance/backends/*/install.sh; do
  [ -f "$inst" ] && bash "$inst"
done
stop_backends() {
  for down in conformance/backends/*/down.sh; do
    [ -f "$down" ] && bash "$down" >/dev/null 2>&1 || true
  done
}
trap stop_backends EXIT

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
# The run's TAP output is kept, so that a failing run ends by naming its failures (CI shows the end).
log=$(mktemp -t mcgw-test-all.XXXXXX.tap)
status=0
npm test 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then node scripts/tap-failures.mjs "$log" || true; fi
rm -f "$log"
exit "$status"
