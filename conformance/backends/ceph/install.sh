#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Installs the Debian packages a single-host Ceph needs (mon, mgr, bluestore OSD, RGW, the CLI tools)
# when they are missing. Idempotent: does nothing when everything is there.
set -euo pipefail
exec bash "$(dirname "$0")/../install-debs.sh" ceph ceph-mon ceph-mgr ceph-osd radosgw ceph-common curl
