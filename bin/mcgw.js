#!/usr/bin/env node
// SPDX-License-Identifier: AGPL-3.0-or-later
import('../dist/src/cli.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
