#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The whole test run, from a clean clone: Debian packages the conformance suites drive (aws-cli v2,
# boto3, wrk…), npm dependencies, then every unit and conformance test.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(awscli python3-boto3 wrk rclone restic s3cmd)
missing=()
for p in "${DEBS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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
npm test
