// SPDX-License-Identifier: AGPL-3.0-or-later
/** `mcgw serve` as a separate process (the compiled entry point of this build), for tests of the command and of several gateways. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled entry point beside this compiled file (dist/ or a private build dir). */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

export interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
}

/** Starts `mcgw serve --port 0 ARGS` and resolves once it listens. */
export function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out} ${err}`)), 30_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        // give the once-printed banner time to arrive
        setTimeout(() => resolve({ child, url: m[1]!, stdout: () => out, stderr: () => err }), 100);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${out} ${err}`));
    });
  });
}

/** SIGTERM; resolves with the exit code. */
export function stop(s: Served): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.on('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}
