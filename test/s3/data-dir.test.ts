// SPDX-License-Identifier: AGPL-3.0-or-later
/** Where the embedded store puts its data directory's subdirectories (translators/embedded/s3/files.ts). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FileStore } from '../../translators/embedded/s3/files.js';

/** lsattr's flags of a directory, or undefined where the filesystem (or the machine) has none. */
function dirFlags(dir: string): string | undefined {
  const r = spawnSync('lsattr', ['-d', dir], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(' ')[0] : undefined;
}

/** Whether directories under the test's temp dir carry ext2/3/4 attributes lsattr can read. */
const probeRoot = mkdtempSync(join(tmpdir(), 'mcgw-datadir-probe-'));
const attrs = dirFlags(probeRoot);
rmSync(probeRoot, { recursive: true, force: true });
const skip = attrs === undefined ? `no lsattr, or ${tmpdir()} has no ext2/3/4 attributes` : false;

t.test('a new data/ is marked as a top directory (chattr +T) so its subdirectories spread over block groups', { skip }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mcgw-datadir-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const probe = join(root, 'probe');
  mkdirSync(probe);
  t.notOk(dirFlags(probe)!.includes('T'), 'a plain directory has no T flag');
  const store = new FileStore(join(root, 's3'));
  t.ok(dirFlags(store.dataDir)!.includes('T'), `data/ carries the T flag (${dirFlags(store.dataDir)})`);
  t.notOk(dirFlags(store.tmpDir)!.includes('T'), 'nothing else is marked');
});

t.test('an existing data/ is left as it is', { skip }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mcgw-datadir-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 's3', 'data');
  mkdirSync(data, { recursive: true });
  new FileStore(join(root, 's3'));
  t.notOk(dirFlags(data)!.includes('T'), 'no flag added to a directory the store did not make');
});
