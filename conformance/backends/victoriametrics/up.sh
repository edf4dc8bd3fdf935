#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Starts VictoriaMetrics (Debian package, 1.79) on loopback under a scratch dir. Back-filled samples
# need no flag on VM; -search.latencyOffset=0s and -search.disableCache make fresh writes readable at
# once (tests read right after writing). Idempotent and fast when already up.
# Prints one JSON line: {"url", "remoteWrite", "flavor", "pid"}.
# Env: MCGW_BACKENDS_DIR (scratch root, default /tmp/mcgw-backends-$UID), MCGW_VM_PORT (18428).
set -euo pipefail
ROOT="${MCGW_BACKENDS_DIR:-/tmp/mcgw-backends-$(id -u)}/victoriametrics"
PORT="${MCGW_VM_PORT:-18428}"
URL="http://127.0.0.1:$PORT"
mkdir -p "$ROOT"
exec 9>"$ROOT/lock"
flock 9
ready() { curl -fsS -m 2 "$URL/health" >/dev/null 2>&1; }
line() { echo "{\"url\":\"$URL\",\"remoteWrite\":\"$URL/api/v1/write\",\"flavor\":\"victoriametrics\",\"pid\":$(cat "$ROOT/pid")}"; }
if [ -f "$ROOT/pid" ] && kill -0 "$(cat "$ROOT/pid")" 2>/dev/null && ready; then line; exit 0; fi
command -v victoria-metrics >/dev/null || { echo "victoriametrics: not installed (run install.sh)" >&2; exit 1; }
rm -rf "$ROOT/data"
setsid nohup victoria-metrics -httpListenAddr="127.0.0.1:$PORT" -storageDataPath="$ROOT/data" -retentionPeriod=1 \
  -search.latencyOffset=0s -search.disableCache </dev/null >"$ROOT/vm.log" 2>&1 9>&- &
echo $! >"$ROOT/pid"
for _ in $(seq 1 100); do
  ready && break
  kill -0 "$(cat "$ROOT/pid")" 2>/dev/null || { echo "victoriametrics: exited, see $ROOT/vm.log" >&2; tail -5 "$ROOT/vm.log" >&2; exit 1; }
  sleep 0.2
done
ready || { echo "victoriametrics: not ready after 20 s, see $ROOT/vm.log" >&2; exit 1; }
line
