// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * src/node-flags.ts: `npm start` passes the gateway's V8 flags, and `bin/mcgw.js serve` started
 * without them runs the gateway as a child with them, passing signals on and ending as it ends.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { GATEWAY_NODE_FLAGS } from '../../src/node-flags.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

t.test('npm start passes every flag', async (t) => {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
  for (const f of GATEWAY_NODE_FLAGS) t.ok(start.split(' ').includes(f), `${f} in "${start}"`);
});

t.test('bin/mcgw.js serve: the gateway runs as a child with the flags; SIGTERM reaches it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-flags-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const parent = spawn(process.execPath, [join(ROOT, 'bin', 'mcgw.js'), 'serve', '--port', '0', '--data-dir', dir, '--dev'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listening = new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d.toString();
      if (/listening on http:\/\//.test(out)) resolve();
    };
    parent.stdout.on('data', on);
    parent.stderr.on('data', on);
    parent.on('exit', () => reject(new Error(`exited before listening: ${out}`)));
  });
  await listening;
  const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent.pid)], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  t.equal(kids.length, 1, 'one child: the gateway');
  const argv = readFileSync(`/proc/${kids[0]}/cmdline`, 'utf8').split('\0');
  for (const f of GATEWAY_NODE_FLAGS) t.ok(argv.includes(f), `the gateway runs with ${f}`);
  t.ok(argv.includes('serve'), 'and serves');
  const exited = new Promise<number | null>((resolve) => parent.on('exit', (code) => resolve(code)));
  parent.kill('SIGTERM');
  t.equal(await exited, 0, 'the gateway drained and exited 0; so did the launcher');
  t.throws(() => process.kill(Number(kids[0]), 0), { code: 'ESRCH' }, 'no gateway left behind');
});
