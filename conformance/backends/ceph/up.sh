#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Starts a single-host, loopback-only Ceph (1 mon, 1 mgr, 1 bluestore OSD on a sparse file, 1 RGW)
# under a scratch dir, vstart-style (facts: /work/shared/reference/ceph-micro.md), and prints its
# endpoints and keys as KEY=VALUE lines on stdout (the same lines are in $MCGW_CEPH_DIR/env, which
# shell scripts can source). Progress goes to stderr.
#   - Idempotent: when the cluster is already up it only prints the env (well under a second);
#     when its data dir exists but daemons are down it restarts them (~8 s); otherwise it
#     bootstraps a new cluster (~15-20 s cold), installing the Debian packages first if missing.
#   - Settings (env): MCGW_CEPH_DIR, MCGW_CEPH_MON_PORT, MCGW_CEPH_RGW_PORT (see common.sh),
#     MCGW_CEPH_TIMEOUT (seconds to wait for health, default 180).
#   - Concurrent callers are serialised by flock on $MCGW_CEPH_DIR.lock.
# Stop with down.sh (only the PIDs recorded here).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/common.sh"
TIMEOUT="${MCGW_CEPH_TIMEOUT:-180}"
PY=/usr/bin/python3   # Debian's: the python3 first on PATH may be another one

bash "$HERE/install.sh"
mkdir -p "$(dirname "$CEPH_DIR")"
exec 9>"$CEPH_DIR.lock"
flock -w 600 9 || { log "timed out waiting for $CEPH_DIR.lock"; exit 1; }
export CEPH_CONF="$CONF"
cephq() { timeout 60 ceph --connect-timeout 30 -c "$CONF" "$@" 2>>"$CEPH_DIR/log/cli.err"; }

rgw_answers() { curl -s -o /dev/null -m 2 "http://127.0.0.1:$RGW_PORT/"; }

all_alive() {
  local d
  for d in "${DAEMONS[@]}"; do [ -n "$(our_pid "$d")" ] || return 1; done
}

# Starts one daemon in the foreground (-f) under setsid, unless it already runs; records its pid.
# fd 9 (our lock) is closed in the child, or the next up.sh would wait on the daemon.
start_daemon() {
  local name=$1; shift
  [ -n "$(our_pid "$name")" ] && return 0
  setsid "$@" -f -c "$CONF" </dev/null >>"$CEPH_DIR/log/$name.out" 2>&1 9>&- &
  echo $! >"$CEPH_DIR/run/$name.pid"
}

start_all() {
  start_daemon mon.a ceph-mon -i a
  start_daemon mgr.x ceph-mgr -i x
  start_daemon osd.0 ceph-osd -i 0
  start_daemon client.rgw.x radosgw -n client.rgw.x
}

# HEALTH_OK, the OSD up and in, and every PG active+clean (HEALTH_OK alone comes while PGs are
# still being created).
healthy() {
  cephq status -f json 2>/dev/null | $PY -c '
import json, sys
s = json.load(sys.stdin)
pg = s.get("pgmap", {}); om = s.get("osdmap", {})
om = om.get("osdmap", om)
states = pg.get("pgs_by_state", [])
clean = sum(x["count"] for x in states if x["state_name"] == "active+clean")
ok = (s["health"]["status"] == "HEALTH_OK" and om.get("num_up_osds") == 1
      and pg.get("num_pgs", 0) > 0 and clean == pg["num_pgs"])
sys.exit(0 if ok else 1)'
}

wait_ready() {
  local deadline=$((SECONDS + TIMEOUT)) d
  until healthy && rgw_answers; do
    for d in "${DAEMONS[@]}"; do
      [ -n "$(our_pid "$d")" ] || { log "$d died; last lines of $CEPH_DIR/log/$d.out:"; tail -n 20 "$CEPH_DIR/log/$d.out" >&2 || true; return 1; }
    done
    [ $SECONDS -lt $deadline ] || { log "not healthy after ${TIMEOUT}s:"; cephq status >&2 || true; return 1; }
    sleep 0.5
  done
}

write_conf() {
  cat >"$CONF" <<CONF
[global]
fsid = $1
mon host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
keyring = $CEPH_DIR/keyring
run dir = $CEPH_DIR/run

log file = $CEPH_DIR/log/\$name.log
crash dir = $CEPH_DIR/crash
exporter sock dir = $CEPH_DIR/run
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
mgr initial modules = iostat
mgr stats period = 1
[mon]
admin socket = $CEPH_DIR/run/\$name.asok
mon data = $CEPH_DIR/\$name
[mgr]
admin socket = $CEPH_DIR/run/\$name.asok
mgr data = $CEPH_DIR/\$name
[osd]
admin socket = $CEPH_DIR/run/\$name.asok
osd data = $CEPH_DIR/\$name
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 10737418240
bluestore fsck on mkfs = false
osd memory target = 1073741824
[client.rgw.x]
admin socket = $CEPH_DIR/run/\$name.asok
rgw data = $CEPH_DIR/\$name
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
CONF
}

RGW_POOLS=(.rgw.root default.rgw.control default.rgw.meta default.rgw.log default.rgw.buckets.index
           default.rgw.buckets.data default.rgw.buckets.non-ec)

bootstrap() {
  local fsid osd_uuid k="$CEPH_DIR/keyring" ak sk p
  log "bootstrapping a new cluster in $CEPH_DIR"
  stop_all
  rm -rf "$CEPH_DIR"
  mkdir -p "$CEPH_DIR"/{run,log,crash,mon.a,mgr.x,osd.0,client.rgw.x}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  ceph-authtool "$k" --create-keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap mds 'allow *' --cap osd 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
  ceph-authtool "$k" --gen-key -n client.rgw.x --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  monmaptool --create --clobber --fsid "$fsid" \
    --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]" "$CEPH_DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$k" 2>>"$CEPH_DIR/log/mkfs.out"
  start_daemon mon.a ceph-mon -i a
  start_daemon mgr.x ceph-mgr -i x
  cephq osd new "$osd_uuid" 0 >/dev/null
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$CEPH_DIR/log/mkfs.out" 2>&1
  start_daemon osd.0 ceph-osd -i 0
  # Pools up front and in parallel (RGW creating them lazily makes a cold start ~30 s).
  local pids=()
  ( cephq osd pool create rbd 8 >/dev/null && cephq osd pool application enable rbd rbd >/dev/null ) & pids+=($!)
  for p in "${RGW_POOLS[@]}"; do
    ( cephq osd pool create "$p" 8 >/dev/null && cephq osd pool application enable "$p" rgw >/dev/null ) & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  start_daemon client.rgw.x radosgw -n client.rgw.x
  wait_ready
  ak=$(tr -dc 'A-Z0-9' </dev/urandom | head -c 20 || true)
  sk=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40 || true)
  timeout 60 radosgw-admin -c "$CONF" user create --uid=mcgw-admin --display-name="mcgw admin" \
    --access-key="$ak" --secret-key="$sk" >/dev/null
  timeout 60 radosgw-admin -c "$CONF" caps add --uid=mcgw-admin \
    --caps="users=*;buckets=*;metadata=*;usage=*;zone=*" >/dev/null
  cat >"$ENV_FILE.tmp" <<ENV
CEPH_DIR=$CEPH_DIR
CEPH_CONF=$CONF
CEPH_KEYRING=$k
CEPH_CLIENT=client.admin
CEPH_FSID=$fsid
CEPH_MON_HOST=127.0.0.1:$((MON_PORT + 1))
RBD_POOL=rbd
RGW_ENDPOINT=http://127.0.0.1:$RGW_PORT
RGW_ADMIN_UID=mcgw-admin
RGW_ADMIN_ACCESS_KEY=$ak
RGW_ADMIN_SECRET_KEY=$sk
ENV
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

if [ -f "$ENV_FILE" ] && all_alive && rgw_answers; then
  :   # already up
elif [ -f "$ENV_FILE" ]; then
  log "restarting the daemons of $CEPH_DIR"
  # a conf written by an older up.sh gets today's settings; fsid and ports stay those of the cluster
  if ! all_alive; then
    MON_PORT=$(( $(sed -n 's/^CEPH_MON_HOST=.*:\([0-9]*\)$/\1/p' "$ENV_FILE") - 1 ))
    RGW_PORT=$(sed -n 's/^RGW_ENDPOINT=.*:\([0-9]*\)$/\1/p' "$ENV_FILE")
    write_conf "$(sed -n 's/^CEPH_FSID=//p' "$ENV_FILE")"
  fi
  start_all
  if ! wait_ready; then
    log "restart failed; starting over"
    bootstrap
  fi
else
  bootstrap
fi
cat "$ENV_FILE"
