#!/usr/bin/env node
// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The `mcgw` command. `mcgw serve` runs under the V8 flags of dist/src/node-flags.js: started
 * without them, it starts the gateway again as a child with them, and passes signals on.
 */
import { spawn } from 'node:child_process';
import { GATEWAY_NODE_FLAGS } from '../dist/src/node-flags.js';

const missing = GATEWAY_NODE_FLAGS.filter((f) => !process.execArgv.includes(f));
if (process.argv[2] === 'serve' && missing.length > 0) {
  const main = new URL('../dist/src/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [...process.execArgv, ...missing, main, ...process.argv.slice(2)], { stdio: 'inherit' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, () => child.kill(s));
  child.on('exit', (code, signal) => {
    if (signal) {
      // end the way the gateway ended
      for (const s of signals) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  await import('../dist/src/main.js');
}
