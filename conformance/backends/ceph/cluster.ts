// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The scratch Ceph for suites and benches: `cephUp()` runs conformance/backends/ceph/up.sh (which
 * installs the packages when missing, then starts or reuses a loopback-only mon+mgr+OSD+RGW under
 * $MCGW_CEPH_DIR) and parses the KEY=VALUE lines it prints. One cluster is shared by every caller
 * on the machine (up.sh serialises concurrent callers with a lock); name your buckets, users and
 * RBD images uniquely. `cephDown()` runs down.sh (stops only the daemons up.sh started).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CephEnv {
  /** Scratch dir holding conf, keyring, data, logs (log/<daemon>.log) and the env file. */
  dir: string;
  /** ceph.conf: pass as CEPH_CONF (or `-c`) to ceph/rbd/radosgw-admin; it names the keyring. */
  conf: string;
  keyring: string;
  /** The cephx client the keyring holds with full caps (client.admin). */
  client: string;
  fsid: string;
  /** host:port of the mon (msgr v1). */
  monHost: string;
  rbdPool: string;
  /** http://127.0.0.1:PORT, path-style S3 and the admin ops API (/admin/...). */
  rgwEndpoint: string;
  rgwAdminUid: string;
  rgwAdminAccessKey: string;
  rgwAdminSecretKey: string;
  /** Every line of the env file as printed. */
  vars: Record<string, string>;
}

const REQUIRED = ['CEPH_DIR', 'CEPH_CONF', 'CEPH_KEYRING', 'CEPH_CLIENT', 'CEPH_FSID', 'CEPH_MON_HOST', 'RBD_POOL',
  'RGW_ENDPOINT', 'RGW_ADMIN_UID', 'RGW_ADMIN_ACCESS_KEY', 'RGW_ADMIN_SECRET_KEY'] as const;

/** Parses up.sh's output (or the env file): KEY=VALUE lines; other lines are ignored. */
export function parseCephEnv(text: string): CephEnv {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  const missing = REQUIRED.filter((k) => !vars[k]);
  if (missing.length > 0) throw new Error(`ceph up.sh output lacks ${missing.join(', ')}`);
  const v = (k: (typeof REQUIRED)[number]): string => vars[k]!;
  return {
    dir: v('CEPH_DIR'), conf: v('CEPH_CONF'), keyring: v('CEPH_KEYRING'), client: v('CEPH_CLIENT'),
    fsid: v('CEPH_FSID'), monHost: v('CEPH_MON_HOST'), rbdPool: v('RBD_POOL'), rgwEndpoint: v('RGW_ENDPOINT'),
    rgwAdminUid: v('RGW_ADMIN_UID'), rgwAdminAccessKey: v('RGW_ADMIN_ACCESS_KEY'),
    rgwAdminSecretKey: v('RGW_ADMIN_SECRET_KEY'), vars,
  };
}

/** Environment for a child process running ceph/rbd/radosgw-admin against this cluster. */
export function cephProcessEnv(env: CephEnv, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, CEPH_CONF: env.conf, CEPH_KEYRING: env.keyring };
}

/** The directory holding up.sh/down.sh, found from this file in the source tree or in a dist dir. */
export function cephScriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'conformance', 'backends', 'ceph');
    if (existsSync(join(dir, 'up.sh')) && existsSync(join(dir, 'down.sh'))) return dir;
    if (existsSync(join(candidate, 'up.sh'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('conformance/backends/ceph/up.sh not found above ' + fileURLToPath(import.meta.url));
}

function runScript(name: string, args: string[], timeoutMs: number): Promise<string> {
  const script = join(cephScriptsDir(), name);
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${name} failed (${err.message.split('\n')[0]}):\n${stderr.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

let pending: Promise<CephEnv> | undefined;

/**
 * Starts (or reuses) the scratch cluster and returns its endpoints and keys. Memoised per process;
 * a failure is not memoised. Cold start ≈ 15 s (plus the package install the first time), restart
 * from the data dir ≈ 7 s, already up ≈ 0.2 s.
 */
export function cephUp(opts: { timeoutMs?: number } = {}): Promise<CephEnv> {
  if (!pending) {
    pending = runScript('up.sh', [], opts.timeoutMs ?? 600_000).then(parseCephEnv);
    pending.catch(() => { pending = undefined; });
  }
  return pending;
}

/** Stops the daemons up.sh started (keeps the data unless `purge`). */
export async function cephDown(opts: { purge?: boolean } = {}): Promise<void> {
  pending = undefined;
  await runScript('down.sh', opts.purge ? ['--purge'] : [], 120_000);
}

/**
 * Gateway config sections for S3 on this cluster's RGW (`s3.backend: ceph`), merged over `base`:
 * the other services and backends of `base` are kept.
 */
export async function cephS3Config(base: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const env = await cephUp();
  const s3 = (base.s3 as Record<string, unknown> | undefined) ?? { baseDomains: ['localhost', 's3.localhost'] };
  const backends = (base.backends as Record<string, Record<string, unknown>> | undefined) ?? {};
  return {
    ...base,
    s3: { ...s3, backend: 'ceph' },
    backends: {
      ...backends,
      ceph: { ...(backends.ceph ?? {}), rgw: { endpoint: env.rgwEndpoint, adminAccessKey: env.rgwAdminAccessKey, adminSecretKey: env.rgwAdminSecretKey } },
    },
  };
}
