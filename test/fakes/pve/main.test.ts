// SPDX-License-Identifier: AGPL-3.0-or-later
// The CLI: prints its endpoint and credentials as one JSON line, serves, stops on SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { raw } from './client.js';
import type { FakePveHandle } from './index.js';

t.test('main.js', async (t) => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./main.js', import.meta.url)), '--nodes', 'n1,n2', '--task-ms', '5', '--unauthorized-delay-ms', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`main.js exited with ${code}`)));
  });
  const info = JSON.parse(line) as { url: string; caPem: string; tokenId: string; tokenSecret: string; nodes: string[]; fingerprint: string };
  t.same(info.nodes, ['n1', 'n2']);
  const u = new URL(info.url);
  const handle = { host: u.hostname, port: Number(u.port), caPem: info.caPem, authorization: `PVEAPIToken=${info.tokenId}=${info.tokenSecret}` } as FakePveHandle;
  const r = await raw(handle, 'GET', '/api2/json/nodes');
  t.same((r.json!.data as { node: string }[]).map((n) => n.node), ['n1', 'n2']);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0);
});
