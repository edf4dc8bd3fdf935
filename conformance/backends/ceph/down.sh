#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Stops the scratch Ceph that up.sh started (rgw, osd, mgr, mon: only the PIDs it recorded, checked
# against their command lines). Keeps the data dir, so the next up.sh restarts in a few seconds;
# `down.sh --purge` also deletes it.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ -d "$CEPH_DIR" ] || exit 0
exec 9>"$CEPH_DIR.lock"
flock -w 120 9 || { log "another up.sh/down.sh holds $CEPH_DIR.lock"; exit 1; }
stop_all
if [ "${1:-}" = "--purge" ]; then rm -rf "$CEPH_DIR"; log "stopped and removed $CEPH_DIR"; else log "stopped (data kept in $CEPH_DIR)"; fi
