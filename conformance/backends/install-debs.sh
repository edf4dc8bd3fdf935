#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# install-debs.sh WHO PACKAGE...: installs the Debian packages that are missing (apt-get as root,
# sudo otherwise); does nothing when all are there. Shared by every backend's install.sh and by
# scripts/test-all.sh.
set -euo pipefail
who="$1"
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "$who: installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
