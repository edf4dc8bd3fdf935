#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Stops the Prometheus that up.sh started (its own PID only) and removes its scratch data.
set -euo pipefail
ROOT="${MCGW_BACKENDS_DIR:-/tmp/mcgw-backends-$(id -u)}/prometheus"
[ -f "$ROOT/pid" ] || exit 0
PID="$(cat "$ROOT/pid")"
if kill -0 "$PID" 2>/dev/null && grep -q prometheus "/proc/$PID/cmdline" 2>/dev/null; then
  kill "$PID"
  for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
fi
rm -f "$ROOT/pid"
rm -rf "$ROOT/data"
