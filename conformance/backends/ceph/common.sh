# SPDX-License-Identifier: AGPL-3.0-or-later
# Shared by up.sh and down.sh (sourced, not run): where the scratch cluster lives and how to find and
# stop only its own daemons.
#   MCGW_CEPH_DIR        scratch dir (default ${TMPDIR:-/tmp}/mcgw-ceph-<uid>)
#   MCGW_CEPH_MON_PORT   mon msgr2 port; msgr1 listens on the next one (default 47300)
#   MCGW_CEPH_RGW_PORT   RGW (beast) port (default 47380)
CEPH_DIR="${MCGW_CEPH_DIR:-${TMPDIR:-/tmp}/mcgw-ceph-$(id -u)}"
MON_PORT="${MCGW_CEPH_MON_PORT:-47300}"
RGW_PORT="${MCGW_CEPH_RGW_PORT:-47380}"
CONF="$CEPH_DIR/ceph.conf"
ENV_FILE="$CEPH_DIR/env"
DAEMONS=(mon.a mgr.x osd.0 client.rgw.x)   # start order; stop in reverse

log() { echo "ceph: $*" >&2; }

# The pid of one of our daemons when it is alive and really ours (its command line names our conf,
# so a recycled pid is never mistaken for it); empty otherwise.
our_pid() {
  local f="$CEPH_DIR/run/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null) || return 0
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF" && echo "$pid"
  return 0
}

# Stops one daemon: SIGTERM, then SIGKILL after a grace (RGW ignores SIGTERM once the OSD is gone).
stop_daemon() {
  local pid i
  pid=$(our_pid "$1")
  [ -n "$pid" ] || { rm -f "$CEPH_DIR/run/$1.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  [ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  rm -f "$CEPH_DIR/run/$1.pid"
}

stop_all() {
  local i
  for ((i=${#DAEMONS[@]}-1; i>=0; i--)); do stop_daemon "${DAEMONS[$i]}"; done
}
