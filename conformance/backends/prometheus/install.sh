#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Installs the Debian package prometheus (and curl, which up.sh uses) when missing. Idempotent.
# Debian's postinst cannot start the service here (no systemd, policy-rc.d): up.sh starts it.
set -euo pipefail
exec bash "$(dirname "$0")/../install-debs.sh" prometheus prometheus curl
