#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Starts Prometheus (Debian package, 2.42) on loopback under a scratch dir, with the remote-write
# receiver and a 14-day out-of-order window (CloudWatch accepts datapoints up to 2 weeks old).
# Idempotent and fast when already up. Prints one JSON line: {"url", "remoteWrite", "flavor", "pid"}.
# Env: MCGW_BACKENDS_DIR (scratch root, default /tmp/mcgw-backends-$UID), MCGW_PROMETHEUS_PORT (19090).
set -euo pipefail
ROOT="${MCGW_BACKENDS_DIR:-/tmp/mcgw-backends-$(id -u)}/prometheus"
PORT="${MCGW_PROMETHEUS_PORT:-19090}"
URL="http://127.0.0.1:$PORT"
mkdir -p "$ROOT"
exec 9>"$ROOT/lock"
flock 9
ready() { curl -fsS -m 2 "$URL/-/ready" >/dev/null 2>&1; }
if [ -f "$ROOT/pid" ] && kill -0 "$(cat "$ROOT/pid")" 2>/dev/null && ready; then
  echo "{\"url\":\"$URL\",\"remoteWrite\":\"$URL/api/v1/write\",\"flavor\":\"prometheus2\",\"pid\":$(cat "$ROOT/pid")}"
  exit 0
fi
command -v prometheus >/dev/null || { echo "prometheus: not installed (run install.sh)" >&2; exit 1; }
# a fresh TSDB on each start
rm -rf "$ROOT/data"
cat > "$ROOT/prometheus.yml" <<'YML'
global: {scrape_interval: 1m}
storage:
  tsdb:
    out_of_order_time_window: 14d
scrape_configs: []
YML
setsid nohup prometheus --config.file="$ROOT/prometheus.yml" --storage.tsdb.path="$ROOT/data" \
  --storage.tsdb.retention.time=15d --web.listen-address="127.0.0.1:$PORT" \
  --web.enable-remote-write-receiver </dev/null >"$ROOT/prometheus.log" 2>&1 9>&- &
echo $! >"$ROOT/pid"
for _ in $(seq 1 100); do
  ready && break
  kill -0 "$(cat "$ROOT/pid")" 2>/dev/null || { echo "prometheus: exited, see $ROOT/prometheus.log" >&2; tail -5 "$ROOT/prometheus.log" >&2; exit 1; }
  sleep 0.2
done
ready || { echo "prometheus: not ready after 20 s, see $ROOT/prometheus.log" >&2; exit 1; }
echo "{\"url\":\"$URL\",\"remoteWrite\":\"$URL/api/v1/write\",\"flavor\":\"prometheus2\",\"pid\":$(cat "$ROOT/pid")}"
